package org.lwm2mfleet.sim.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;

import org.junit.jupiter.api.Test;
import org.lwm2mfleet.sim.profiles.Models;
import org.lwm2mfleet.sim.profiles.Profile;

class ProfileTest {

    @Test
    void everyProfileHasDeviceAndConnectivityAndObjectsOfTheModels() {
        for (Profile profile : Profile.values()) {
            var objects = profile.objects(Clock.systemUTC(), "SN1", "1.0.0", 1).byObjectId();
            assertThat(objects).containsKeys(3, 4);
            for (int objectId : objects.keySet()) {
                assertThat(Models.MODEL.getObjectModel(objectId)).as("model of %d", objectId).isNotNull();
            }
        }
        assertThat(Profile.ELECTRICITY_METER.objects(Clock.systemUTC(), "SN", "1", 1).byObjectId())
                .containsKeys(3305, 3331);
        assertThat(Profile.VENTILATION_FAN.objects(Clock.systemUTC(), "SN", "1", 1).byObjectId())
                .containsKeys(3306, 3342, 10366);
    }

    @Test
    void everyProfileAnnouncesTheMandatoryResourcesOfItsObjects() {
        for (Profile profile : Profile.values()) {
            profile.objects(Clock.systemUTC(), "SN1", "1.0.0", 1).byObjectId().forEach((id, instance) -> {
                var model = Models.MODEL.getObjectModel(id);
                instance.setModel(model);
                var available = instance.getAvailableResourceIds(model);
                model.resources.values().stream().filter(r -> r.mandatory)
                        .forEach(r -> assertThat(available).as("%s /%d/0/%d", profile, id, r.id).contains(r.id));
                for (int resourceId : available) {
                    if (model.resources.get(resourceId).operations.isReadable()) {
                        assertThat(instance.read(null, resourceId).isSuccess())
                                .as("%s read /%d/0/%d", profile, id, resourceId).isTrue();
                    }
                }
            });
        }
    }

    @Test
    void fleetSpecBuilderHasDefaultsAndRefusesSecurityWithoutSecret() {
        FleetSpec spec = FleetSpec.builder(java.net.URI.create("coap://127.0.0.1:5683")).build();
        assertThat(spec.count()).isEqualTo(10);
        assertThat(spec.endpoint(1)).isEqualTo("sim-00001");
        assertThat(spec.profiles()).containsExactly(Profile.values());
        assertThat(spec.tickInterval()).isEqualTo(FleetSpec.DEFAULT_TICK);
        assertThatThrownBy(() -> FleetSpec.builder(spec.serverUri()).security(SecurityMode.PSK, null).build())
                .hasMessageContaining("secret");
    }

    @Test
    void failureInjectionPicksListedEndpointsAndAShareOfTheOthers() {
        var injection = new FailureInjection(org.lwm2mfleet.sim.objects.FirmwareFailure.UPDATE_FAILED, 0.2,
                java.util.Set.of("listed"));
        assertThat(injection.appliesTo("listed", 1)).isTrue();
        long hit = java.util.stream.IntStream.range(0, 1000).filter(i -> injection.appliesTo("dev-" + i, 1)).count();
        assertThat(hit).isBetween(150L, 250L);
        assertThat(java.util.stream.IntStream.range(0, 1000).filter(i -> injection.appliesTo("dev-" + i, 1)).count())
                .isEqualTo(hit);
    }

    @Test
    void profilesParseFromTheirCommandLineNames() {
        assertThat(Profile.parse("gas-detector")).isEqualTo(Profile.GAS_DETECTOR);
        assertThat(Profile.parse("WATER_METER")).isEqualTo(Profile.WATER_METER);
        assertThatThrownBy(() -> Profile.parse("toaster")).hasMessageContaining("electricity-meter");
    }

    @Test
    void fleetNamesAndProfilesAreAssignedInOrder() {
        FleetSpec spec = new FleetSpec(java.net.URI.create("coap://127.0.0.1:5683"), "m-%03d", 4,
                java.util.List.of(Profile.WATER_METER, Profile.GAS_DETECTOR), SecurityMode.NONE, null, null, null,
                java.time.Duration.ofMinutes(5), java.time.Duration.ZERO, 1, null, null, null);
        assertThat(spec.endpoint(1)).isEqualTo("m-001");
        assertThat(spec.profile(1)).isEqualTo(Profile.WATER_METER);
        assertThat(spec.profile(2)).isEqualTo(Profile.GAS_DETECTOR);
        assertThat(spec.profile(3)).isEqualTo(Profile.WATER_METER);
    }
}
