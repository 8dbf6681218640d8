package org.lwm2mfleet.sim.profiles;

import java.time.Clock;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.resource.BaseInstanceEnablerFactory;
import org.eclipse.leshan.client.resource.LwM2mInstanceEnabler;
import org.eclipse.leshan.client.resource.LwM2mObjectEnabler;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.core.LwM2mId;
import org.lwm2mfleet.sim.objects.BatteryObject;
import org.lwm2mfleet.sim.objects.ConnectivityObject;
import org.lwm2mfleet.sim.objects.DeviceObject;
import org.lwm2mfleet.sim.objects.ElectricityMeter;
import org.lwm2mfleet.sim.objects.FanObjects;
import org.lwm2mfleet.sim.objects.GasConcentration;
import org.lwm2mfleet.sim.objects.SensorObject;
import org.lwm2mfleet.sim.objects.SimulatedInstance;
import org.lwm2mfleet.sim.objects.StoredInstance;
import org.lwm2mfleet.sim.objects.WaterMeter;

/** The kinds of device the simulator emulates, each a set of OMA/IPSO objects with value models. */
public enum Profile {
    ELECTRICITY_METER("SIM-EM-1"),
    WATER_METER("SIM-WM-1"),
    ENVIRONMENT_SENSOR("SIM-ENV-1"),
    GAS_DETECTOR("SIM-GAS-1"),
    VENTILATION_FAN("SIM-FAN-1");

    /** What Create makes on any object: an instance that keeps the values it is given. */
    private static final BaseInstanceEnablerFactory CREATE_STORED = new BaseInstanceEnablerFactory() {
        @Override
        public LwM2mInstanceEnabler create() {
            return new StoredInstance();
        }
    };

    private final String modelNumber;

    Profile(String modelNumber) {
        this.modelNumber = modelNumber;
    }

    /** Model Number (/3/0/1) of devices of this profile. */
    public String modelNumber() {
        return modelNumber;
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

    /** The name on the command line: electricity-meter, water-meter, ... */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Accepts the command-line name (electricity-meter) or the constant's name (ELECTRICITY_METER). */
    public static Profile parse(String text) {
        String wanted = text.strip();
        for (Profile profile : values()) {
            if (profile.cliName().equalsIgnoreCase(wanted) || profile.name().equalsIgnoreCase(wanted)) {
                return profile;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + text + "'; one of "
                + String.join(", ", Arrays.stream(values()).map(Profile::cliName).toList()));
    }

    /**
     * The object instances of one device of this profile, by object id: Device (3) and Connectivity (4) always, then
     * the profile's own. Security, Server and Firmware Update are added by {@link DeviceObjects#enablers}.
     */
    public DeviceObjects objects(Clock clock, String serialNumber, String firmwareVersion, long seed) {
        DeviceObject device = new DeviceObject(clock, modelNumber, serialNumber, firmwareVersion, seed);
        Map<Integer, SimulatedInstance> objects = new LinkedHashMap<>();
        objects.put(LwM2mId.DEVICE, device);
        objects.put(LwM2mId.CONNECTIVITY_MONITORING, new ConnectivityObject(clock, seed));
        Object model = switch (this) {
        case ELECTRICITY_METER -> {
            ElectricityMeter meter = new ElectricityMeter(clock, seed);
            objects.put(3305, meter.powerObject());
            objects.put(3331, meter.energyObject());
            yield meter;
        }
        case WATER_METER -> {
            WaterMeter meter = new WaterMeter(clock, seed);
            objects.put(3424, meter);
            objects.put(3411, battery(clock, seed, device));
            yield meter;
        }
        case ENVIRONMENT_SENSOR -> {
            SensorObject temperature = SensorObject.temperature(clock, seed);
            objects.put(3303, temperature);
            objects.put(3304, SensorObject.humidity(clock, seed));
            objects.put(3411, battery(clock, seed, device));
            yield temperature;
        }
        case GAS_DETECTOR -> {
            GasConcentration gas = new GasConcentration(clock, seed);
            objects.put(3325, new SensorObject("methane", "ppm", 0, 1000, gas));
            yield gas;
        }
        case VENTILATION_FAN -> {
            FanObjects fan = new FanObjects(clock);
            objects.put(3306, fan.actuation());
            objects.put(3342, fan.onOffSwitch());
            objects.put(10366, fan.fan("Fan " + serialNumber));
            yield fan;
        }
        };
        return new DeviceObjects(device, objects, model);
    }

    private static BatteryObject battery(Clock clock, long seed, DeviceObject device) {
        BatteryObject battery = new BatteryObject(clock, seed);
        device.batteryLevel(battery::level);
        return battery;
    }

    /**
     * What a profile built: the instances by object id, plus the value model behind them (the {@link ElectricityMeter},
     * {@link WaterMeter}, temperature {@link SensorObject}, {@link GasConcentration} or {@link FanObjects}), which tests
     * and demos drive.
     */
    public record DeviceObjects(DeviceObject device, Map<Integer, SimulatedInstance> byObjectId, Object model) {

        public DeviceObjects {
            byObjectId = Collections.unmodifiableMap(new LinkedHashMap<>(byObjectId));
        }

        public List<SimulatedInstance> all() {
            return List.copyOf(byObjectId.values());
        }

        /** The gas model of a gas detector, else null. */
        public GasConcentration gas() {
            return model instanceof GasConcentration gas ? gas : null;
        }

        /** The fan of a ventilation fan, else null. */
        public FanObjects fan() {
            return model instanceof FanObjects fan ? fan : null;
        }

        /**
         * The object enablers of the device, ready for {@code LeshanClientBuilder.setObjects}: Security (0), Server (1)
         * and Firmware Update (5) as given, Device (3), Connectivity Monitoring (4) and the profile's objects. Every
         * object also accepts Create: a created instance keeps the values it is given, and Delete removes it.
         */
        public List<LwM2mObjectEnabler> enablers(Security security, Server server, LwM2mInstanceEnabler firmware) {
            ObjectsInitializer initializer = new ObjectsInitializer(Models.MODEL);
            initializer.setInstancesForObject(LwM2mId.SECURITY, security);
            initializer.setInstancesForObject(LwM2mId.SERVER, server);
            initializer.setInstancesForObject(LwM2mId.FIRMWARE, firmware);
            initializer.setFactoryForObject(LwM2mId.FIRMWARE, CREATE_STORED);
            byObjectId.forEach((id, instance) -> {
                initializer.setInstancesForObject(id, instance);
                initializer.setFactoryForObject(id, CREATE_STORED);
            });
            return initializer.createAll();
        }
    }
}
