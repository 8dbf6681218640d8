package org.lwm2mfleet.sim.profiles;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.lwm2mfleet.sim.objects.BatteryObject;
import org.lwm2mfleet.sim.objects.ConnectivityObject;
import org.lwm2mfleet.sim.objects.DeviceObject;
import org.lwm2mfleet.sim.objects.ElectricityMeter;
import org.lwm2mfleet.sim.objects.FanObjects;
import org.lwm2mfleet.sim.objects.GasConcentration;
import org.lwm2mfleet.sim.objects.SensorObject;
import org.lwm2mfleet.sim.objects.SimulatedInstance;
import org.lwm2mfleet.sim.objects.WaterMeter;

/** The kinds of device the simulator emulates, each a set of OMA/IPSO objects with value models. */
public enum Profile {
    ELECTRICITY_METER("SIM-EM-1"),
    WATER_METER("SIM-WM-1"),
    ENVIRONMENT_SENSOR("SIM-ENV-1"),
    GAS_DETECTOR("SIM-GAS-1"),
    VENTILATION_FAN("SIM-FAN-1");

    private final String modelNumber;

    Profile(String modelNumber) {
        this.modelNumber = modelNumber;
    }

    /** The values a device of this profile reports with LwM2M Send. */
    public List<String> reportPaths() {
        return switch (this) {
        case ELECTRICITY_METER -> List.of("/3305/0/5800", "/3331/0/5700");
        case WATER_METER -> List.of("/3424/0/1");
        case ENVIRONMENT_SENSOR -> List.of("/3303/0/5700", "/3304/0/5700");
        case GAS_DETECTOR -> List.of("/3325/0/5700");
        case VENTILATION_FAN -> List.of("/3342/0/5500");
        };
    }

    public String modelNumber() {
        return modelNumber;
    }

    /** The name on the command line: electricity-meter, water-meter, ... */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Profile parse(String text) {
        for (Profile profile : values()) {
            if (profile.cliName().equalsIgnoreCase(text.strip()) || profile.name().equalsIgnoreCase(text.strip())) {
                return profile;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + text + "'; one of "
                + String.join(", ", java.util.Arrays.stream(values()).map(Profile::cliName).toList()));
    }

    /**
     * The object instances of one device of this profile, by object id: Device (3) and Connectivity (4) always, then
     * the profile's own. Security and Server are added by the device.
     */
    public DeviceObjects objects(Clock clock, String serialNumber, String firmwareVersion, long seed) {
        DeviceObject device = new DeviceObject(clock, modelNumber, serialNumber, firmwareVersion);
        Map<Integer, SimulatedInstance> objects = new LinkedHashMap<>();
        objects.put(3, device);
        objects.put(4, new ConnectivityObject(seed));
        GasConcentration gas = null;
        FanObjects fan = null;
        switch (this) {
        case ELECTRICITY_METER -> {
            ElectricityMeter meter = new ElectricityMeter(clock, seed);
            objects.put(3305, meter.powerObject());
            objects.put(3331, meter.energyObject());
        }
        case WATER_METER -> {
            objects.put(3424, new WaterMeter(clock, seed));
            objects.put(3411, new BatteryObject(clock, seed));
        }
        case ENVIRONMENT_SENSOR -> {
            objects.put(3303, SensorObject.temperature(clock, seed));
            objects.put(3304, SensorObject.humidity(clock, seed));
            objects.put(3411, new BatteryObject(clock, seed));
        }
        case GAS_DETECTOR -> {
            gas = new GasConcentration(clock, seed);
            objects.put(3325, new SensorObject("ppm", 0, 1000, gas));
        }
        case VENTILATION_FAN -> {
            fan = new FanObjects(clock);
            objects.put(3306, fan.actuation());
            objects.put(3342, fan.onOffSwitch());
            objects.put(10366, fan.fan("Fan " + serialNumber));
        }
        }
        return new DeviceObjects(device, objects, gas, fan);
    }

    /** What a profile built: the instances by object id, plus handles on the parts tests and demos drive. */
    public record DeviceObjects(DeviceObject device, Map<Integer, SimulatedInstance> byObjectId,
            GasConcentration gas, FanObjects fan) {

        public List<SimulatedInstance> all() {
            return List.copyOf(byObjectId.values());
        }
    }
}
