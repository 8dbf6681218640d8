package org.lwm2mfleet.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.eclipse.leshan.core.model.ObjectModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectModelsTest {

    @Test
    void indexListsExactlyTheShippedFiles() throws IOException {
        Path folder = Path.of("src/main/resources/org/lwm2mfleet/models/ddf");
        try (Stream<Path> files = Files.list(folder)) {
            List<String> onDisk = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertThat(ObjectModels.shippedFileNames()).containsExactlyInAnyOrderElementsOf(onDisk);
        }
    }

    @Test
    void everyShippedFileParsesAndValidates() {
        List<ObjectModel> shipped = ObjectModels.shipped();
        assertThat(shipped).hasSizeGreaterThanOrEqualTo(ObjectModels.shippedFileNames().size());
    }

    @Test
    void allHasNewestRegistryVersionsAndLeshansOlderCoreVersions() {
        List<ObjectModel> all = ObjectModels.all();
        assertThat(all).anySatisfy(m -> {
            assertThat(m.id).isEqualTo(3303);
            assertThat(m.name).isEqualTo("Temperature");
        });
        // Leshan ships Device 1.0 and 1.1; both must be there for devices of either version.
        assertThat(all.stream().filter(m -> m.id == 3).map(m -> m.version)).contains("1.0", "1.1");
        assertThat(all.stream().map(m -> m.id)).contains(3, 4, 5, 3304, 3305, 3325, 3331, 3342, 3411, 3421, 3424,
                10366);
    }

    @Test
    void olderRegistryVersionsShipBesideTheNewest() {
        List<ObjectModel> all = ObjectModels.all();
        // IPSO devices announcing </3303/0> without ver announce Temperature 1.0 (TS 1.1 section 7.2.2).
        assertThat(all.stream().filter(m -> m.id == 3303).map(m -> m.version)).containsExactlyInAnyOrder("1.0",
                "1.1");
        assertThat(all.stream().filter(m -> m.id == 20).map(m -> m.version)).contains("1.0", "2.0");
        assertThat(all.stream().filter(m -> m.id == 3336).map(m -> m.version)).contains("1.0", "1.1");
        // One model per id and version, whichever file it came from.
        assertThat(all.stream().map(m -> m.id + "@" + m.version)).doesNotHaveDuplicates();
    }

    @Test
    void everyOlderVersionFileHoldsTheObjectAndVersionItsNameSays() throws IOException {
        List<String> older = ObjectModels.shippedFileNames().stream().filter(ObjectModels::isOlderVersionFile)
                .toList();
        assertThat(older).hasSizeGreaterThan(90);
        for (String file : older) {
            Path path = Path.of("src/main/resources/org/lwm2mfleet/models/ddf", file);
            String name = file.substring(0, file.length() - ".xml".length());
            int id = Integer.parseInt(name.substring(0, name.indexOf('-')));
            String version = name.substring(name.indexOf('-') + 1).replace('_', '.');
            try (var in = Files.newInputStream(path)) {
                List<ObjectModel> models = org.eclipse.leshan.core.model.ObjectLoader.loadDdfFile(in, file);
                assertThat(models).as(file).singleElement().satisfies(m -> {
                    assertThat(m.id).isEqualTo(id);
                    assertThat(m.version).isEqualTo(version);
                });
            } catch (org.eclipse.leshan.core.model.InvalidDDFFileException e) {
                throw new AssertionError(file, e);
            }
        }
    }

    @Test
    void extraFolderAddsVendorObjects(@TempDir Path dir) throws IOException {
        String ddf = Files.readString(Path.of("src/main/resources/org/lwm2mfleet/models/ddf/3303.xml"))
                .replace("<ObjectID>3303</ObjectID>", "<ObjectID>32769</ObjectID>")
                .replace("urn:oma:lwm2m:ext:3303", "urn:oma:lwm2m:x:32769");
        Files.writeString(dir.resolve("vendor.xml"), ddf);

        assertThat(ObjectModels.allWithExtraFolder(dir)).anySatisfy(m -> assertThat(m.id).isEqualTo(32769));
    }

    @Test
    void badFileInExtraFolderIsReportedByName(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("good.xml"),
                Files.readString(Path.of("src/main/resources/org/lwm2mfleet/models/ddf/3303.xml")));
        Files.writeString(dir.resolve("broken-vendor.xml"), "<LWM2M><Object>");

        assertThatThrownBy(() -> ObjectModels.fromFolder(dir)).isInstanceOf(InvalidModelsException.class)
                .hasMessageContaining("broken-vendor.xml").hasMessageNotContaining("good.xml");
    }
}
