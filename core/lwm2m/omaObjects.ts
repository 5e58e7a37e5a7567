import type { ObjectModel, ResourceModel, ResourceOperations, ResourceType } from './objectRegistry.ts';

/**
 * Object definitions from the OMA LwM2M registry (openmobilealliance.org/tech/profiles/*.xml).
 * Only the objects this server touches; any other object decodes with unknown resource types.
 */

type ResourceRow = readonly [
  id: number,
  name: string,
  operations: ResourceOperations,
  type: ResourceType,
  multiple: 'single' | 'multi',
  mandatory: 'M' | 'O',
];

function object(
  id: number,
  name: string,
  version: string,
  multiple: boolean,
  mandatory: boolean,
  rows: readonly ResourceRow[],
): ObjectModel {
  const resources = new Map<number, ResourceModel>();
  for (const [rid, rname, operations, type, multi, mand] of rows) {
    resources.set(rid, Object.freeze({ id: rid, name: rname, operations, type, multiple: multi === 'multi', mandatory: mand === 'M' }));
  }
  return Object.freeze({ id, name, version, multiple, mandatory, resources });
}

const SECURITY = object(0, 'LWM2M Security', '1.1', true, true, [
  [0, 'LWM2M Server URI', '', 'string', 'single', 'M'],
  [1, 'Bootstrap-Server', '', 'boolean', 'single', 'M'],
  [2, 'Security Mode', '', 'integer', 'single', 'M'],
  [3, 'Public Key or Identity', '', 'opaque', 'single', 'M'],
  [4, 'Server Public Key', '', 'opaque', 'single', 'M'],
  [5, 'Secret Key', '', 'opaque', 'single', 'M'],
  [6, 'SMS Security Mode', '', 'integer', 'single', 'O'],
  [7, 'SMS Binding Key Parameters', '', 'opaque', 'single', 'O'],
  [8, 'SMS Binding Secret Key(s)', '', 'opaque', 'single', 'O'],
  [9, 'LwM2M Server SMS Number', '', 'string', 'single', 'O'],
  [10, 'Short Server ID', '', 'integer', 'single', 'O'],
  [11, 'Client Hold Off Time', '', 'integer', 'single', 'O'],
  [12, 'Bootstrap-Server Account Timeout', '', 'integer', 'single', 'O'],
  [13, 'Matching Type', '', 'unsignedInteger', 'single', 'O'],
  [14, 'SNI', '', 'string', 'single', 'O'],
  [15, 'Certificate Usage', '', 'unsignedInteger', 'single', 'O'],
  [16, 'DTLS/TLS Ciphersuite', '', 'unsignedInteger', 'multi', 'O'],
]);

const SERVER = object(1, 'LwM2M Server', '1.1', true, true, [
  [0, 'Short Server ID', 'R', 'integer', 'single', 'M'],
  [1, 'Lifetime', 'RW', 'integer', 'single', 'M'],
  [2, 'Default Minimum Period', 'RW', 'integer', 'single', 'O'],
  [3, 'Default Maximum Period', 'RW', 'integer', 'single', 'O'],
  [4, 'Disable', 'E', 'none', 'single', 'O'],
  [5, 'Disable Timeout', 'RW', 'integer', 'single', 'O'],
  [6, 'Notification Storing When Disabled or Offline', 'RW', 'boolean', 'single', 'M'],
  [7, 'Binding', 'RW', 'string', 'single', 'M'],
  [8, 'Registration Update Trigger', 'E', 'none', 'single', 'M'],
  [9, 'Bootstrap-Request Trigger', 'E', 'none', 'single', 'O'],
  [10, 'APN Link', 'RW', 'objlnk', 'single', 'O'],
  [11, 'TLS-DTLS Alert Code', 'R', 'unsignedInteger', 'single', 'O'],
  [12, 'Last Bootstrapped', 'R', 'time', 'single', 'O'],
  [13, 'Registration Priority Order', 'RW', 'unsignedInteger', 'single', 'O'],
  [14, 'Initial Registration Delay Timer', 'RW', 'unsignedInteger', 'single', 'O'],
  [15, 'Registration Failure Block', 'RW', 'boolean', 'single', 'O'],
  [16, 'Bootstrap on Registration Failure', 'RW', 'boolean', 'single', 'O'],
  [17, 'Communication Retry Count', 'RW', 'unsignedInteger', 'single', 'O'],
  [18, 'Communication Retry Timer', 'RW', 'unsignedInteger', 'single', 'O'],
  [19, 'Communication Sequence Delay Timer', 'RW', 'unsignedInteger', 'single', 'O'],
  [20, 'Communication Sequence Retry Count', 'RW', 'unsignedInteger', 'single', 'O'],
  [21, 'Trigger', 'RW', 'boolean', 'single', 'O'],
  [22, 'Preferred Transport', 'RW', 'string', 'single', 'O'],
  [23, 'Mute Send', 'RW', 'boolean', 'single', 'O'],
]);

const DEVICE = object(3, 'Device', '1.1', false, true, [
  [0, 'Manufacturer', 'R', 'string', 'single', 'O'],
  [1, 'Model Number', 'R', 'string', 'single', 'O'],
  [2, 'Serial Number', 'R', 'string', 'single', 'O'],
  [3, 'Firmware Version', 'R', 'string', 'single', 'O'],
  [4, 'Reboot', 'E', 'none', 'single', 'M'],
  [5, 'Factory Reset', 'E', 'none', 'single', 'O'],
  [6, 'Available Power Sources', 'R', 'integer', 'multi', 'O'],
  [7, 'Power Source Voltage', 'R', 'integer', 'multi', 'O'],
  [8, 'Power Source Current', 'R', 'integer', 'multi', 'O'],
  [9, 'Battery Level', 'R', 'integer', 'single', 'O'],
  [10, 'Memory Free', 'R', 'integer', 'single', 'O'],
  [11, 'Error Code', 'R', 'integer', 'multi', 'M'],
  [12, 'Reset Error Code', 'E', 'none', 'single', 'O'],
  [13, 'Current Time', 'RW', 'time', 'single', 'O'],
  [14, 'UTC Offset', 'RW', 'string', 'single', 'O'],
  [15, 'Timezone', 'RW', 'string', 'single', 'O'],
  [16, 'Supported Binding and Modes', 'R', 'string', 'single', 'M'],
  [17, 'Device Type', 'R', 'string', 'single', 'O'],
  [18, 'Hardware Version', 'R', 'string', 'single', 'O'],
  [19, 'Software Version', 'R', 'string', 'single', 'O'],
  [20, 'Battery Status', 'R', 'integer', 'single', 'O'],
  [21, 'Memory Total', 'R', 'integer', 'single', 'O'],
  [22, 'ExtDevInfo', 'R', 'objlnk', 'multi', 'O'],
]);

const CONNECTIVITY_MONITORING = object(4, 'Connectivity Monitoring', '1.2', false, false, [
  [0, 'Network Bearer', 'R', 'integer', 'single', 'M'],
  [1, 'Available Network Bearer', 'R', 'integer', 'multi', 'M'],
  [2, 'Radio Signal Strength', 'R', 'integer', 'single', 'M'],
  [3, 'Link Quality', 'R', 'integer', 'single', 'O'],
  [4, 'IP Addresses', 'R', 'string', 'multi', 'M'],
  [5, 'Router IP Addresses', 'R', 'string', 'multi', 'O'],
  [6, 'Link Utilization', 'R', 'integer', 'single', 'O'],
  [7, 'APN', 'R', 'string', 'multi', 'O'],
  [8, 'Cell ID', 'R', 'integer', 'single', 'O'],
  [9, 'SMNC', 'R', 'integer', 'single', 'O'],
  [10, 'SMCC', 'R', 'integer', 'single', 'O'],
  [11, 'SignalSNR', 'R', 'integer', 'single', 'O'],
  [12, 'LAC', 'R', 'integer', 'single', 'O'],
]);

const FIRMWARE_UPDATE = object(5, 'Firmware Update', '1.1', false, false, [
  [0, 'Package', 'W', 'opaque', 'single', 'M'],
  [1, 'Package URI', 'RW', 'string', 'single', 'M'],
  [2, 'Update', 'E', 'none', 'single', 'M'],
  [3, 'State', 'R', 'integer', 'single', 'M'],
  [5, 'Update Result', 'R', 'integer', 'single', 'M'],
  [6, 'PkgName', 'R', 'string', 'single', 'O'],
  [7, 'PkgVersion', 'R', 'string', 'single', 'O'],
  [8, 'Firmware Update Protocol Support', 'R', 'integer', 'multi', 'O'],
  [9, 'Firmware Update Delivery Method', 'R', 'integer', 'single', 'M'],
  [10, 'Cancel', 'E', 'none', 'single', 'O'],
  [11, 'Severity', 'RW', 'integer', 'single', 'O'],
  [12, 'Last State Change Time', 'R', 'time', 'single', 'O'],
  [13, 'Maximum Defer Period', 'RW', 'unsignedInteger', 'single', 'O'],
]);

const LOCATION = object(6, 'Location', '1.0', false, false, [
  [0, 'Latitude', 'R', 'float', 'single', 'M'],
  [1, 'Longitude', 'R', 'float', 'single', 'M'],
  [2, 'Altitude', 'R', 'float', 'single', 'O'],
  [3, 'Radius', 'R', 'float', 'single', 'O'],
  [4, 'Velocity', 'R', 'opaque', 'single', 'O'],
  [5, 'Timestamp', 'R', 'time', 'single', 'M'],
  [6, 'Speed', 'R', 'float', 'single', 'O'],
]);

const APN_CONNECTION_PROFILE = object(11, 'APN connection profile', '1.0', true, false, [
  [0, 'Profile name', 'RW', 'string', 'single', 'M'],
  [1, 'APN', 'RW', 'string', 'single', 'O'],
  [2, 'Auto select APN by device', 'RW', 'boolean', 'single', 'O'],
  [3, 'Enable status', 'RW', 'boolean', 'single', 'O'],
  [4, 'Authentication Type', 'RW', 'integer', 'single', 'M'],
  [5, 'User Name', 'RW', 'string', 'single', 'O'],
  [6, 'Secret', 'RW', 'string', 'single', 'O'],
  [7, 'Reconnect Schedule', 'RW', 'string', 'single', 'O'],
  [8, 'Validity (MCC, MNC)', 'RW', 'string', 'multi', 'O'],
  [9, 'Connection establishment time1', 'R', 'time', 'multi', 'O'],
  [10, 'Connection establishment result', 'R', 'integer', 'multi', 'O'],
  [11, 'Connection establishment reject cause', 'R', 'integer', 'multi', 'O'],
  [12, 'Connection end time', 'R', 'time', 'multi', 'O'],
  [13, 'TotalBytesSent', 'R', 'integer', 'single', 'O'],
  [14, 'TotalBytesReceived', 'R', 'integer', 'single', 'O'],
  [15, 'IP address', 'RW', 'string', 'multi', 'O'],
  [16, 'Prefix length', 'RW', 'string', 'multi', 'O'],
  [17, 'Subnet mask', 'RW', 'string', 'multi', 'O'],
  [18, 'Gateway', 'RW', 'string', 'multi', 'O'],
  [19, 'Primary DNS address', 'RW', 'string', 'multi', 'O'],
  [20, 'Secondary DNS address', 'RW', 'string', 'multi', 'O'],
]);

// IPSO sensors share resource ids across objects (5700 Sensor Value, 5701 Sensor Units...).
const TEMPERATURE = object(3303, 'Temperature', '1.0', true, false, [
  [5700, 'Sensor Value', 'R', 'float', 'single', 'M'],
  [5601, 'Min Measured Value', 'R', 'float', 'single', 'O'],
  [5602, 'Max Measured Value', 'R', 'float', 'single', 'O'],
  [5603, 'Min Range Value', 'R', 'float', 'single', 'O'],
  [5604, 'Max Range Value', 'R', 'float', 'single', 'O'],
  [5701, 'Sensor Units', 'R', 'string', 'single', 'O'],
  [5605, 'Reset Min and Max Measured Values', 'E', 'none', 'single', 'O'],
  [5750, 'Application Type', 'RW', 'string', 'single', 'O'],
]);

const ACCELEROMETER = object(3313, 'Accelerometer', '1.0', true, false, [
  [5702, 'X Value', 'R', 'float', 'single', 'M'],
  [5703, 'Y Value', 'R', 'float', 'single', 'O'],
  [5704, 'Z Value', 'R', 'float', 'single', 'O'],
  [5701, 'Sensor Units', 'R', 'string', 'single', 'O'],
  [5603, 'Min Range Value', 'R', 'float', 'single', 'O'],
  [5604, 'Max Range Value', 'R', 'float', 'single', 'O'],
]);

export const OMA_OBJECTS: readonly ObjectModel[] = [
  SECURITY,
  SERVER,
  DEVICE,
  CONNECTIVITY_MONITORING,
  FIRMWARE_UPDATE,
  LOCATION,
  APN_CONNECTION_PROFILE,
  TEMPERATURE,
  ACCELEROMETER,
];
