package org.lwm2mfleet.server.device;

import java.util.List;

/** What a bulk provisioning did, row by row (rows are numbered from 1, in the order given). */
public record BulkResult(int created, int rejected, List<Row> rows) {

    /** One row: created, or rejected with the field at fault and why. */
    public record Row(int row, String endpoint, String status, String field, String reason) {
    }
}
