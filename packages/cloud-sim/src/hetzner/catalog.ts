// The small, fixed catalog a server is built from: locations, server types (with prices per
// location) and system images, shaped like Hetzner's answers so clients can resolve names.

export interface LocationJson {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export interface ServerTypeJson {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  deprecated: boolean;
  deprecation: null;
  prices: Array<{ location: string; price_hourly: { net: string; gross: string }; price_monthly: { net: string; gross: string }; included_traffic: number; price_per_tb_traffic: { net: string; gross: string } }>;
  storage_type: 'local' | 'network';
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  included_traffic: number;
}

export interface ImageJson {
  id: number;
  type: 'system';
  status: 'available';
  name: string;
  description: string;
  image_size: null;
  disk_size: number;
  created: string;
  created_from: null;
  bound_to: null;
  os_flavor: string;
  os_version: string;
  rapid_deploy: boolean;
  protection: { delete: boolean };
  deprecated: null;
  deleted: null;
  labels: Record<string, string>;
  architecture: 'x86' | 'arm';
}

const includedTraffic = 21990232555520; // 20 TB, as Hetzner reports it in bytes

export const locations: LocationJson[] = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central' },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central' },
];

function prices(hourlyNet: number, monthlyNet: number): ServerTypeJson['prices'] {
  const money = (n: number): string => n.toFixed(10);
  return locations.map((location) => ({
    location: location.name,
    price_hourly: { net: money(hourlyNet), gross: money(hourlyNet * 1.19) },
    price_monthly: { net: money(monthlyNet), gross: money(monthlyNet * 1.19) },
    included_traffic: includedTraffic,
    price_per_tb_traffic: { net: money(1), gross: money(1.19) },
  }));
}

function serverType(id: number, name: string, cores: number, memory: number, disk: number, architecture: 'x86' | 'arm', hourly: number, monthly: number): ServerTypeJson {
  return {
    id,
    name,
    description: name.toUpperCase(),
    cores,
    memory,
    disk,
    deprecated: false,
    deprecation: null,
    prices: prices(hourly, monthly),
    storage_type: 'local',
    cpu_type: 'shared',
    architecture,
    included_traffic: includedTraffic,
  };
}

export const serverTypes: ServerTypeJson[] = [
  serverType(22, 'cpx11', 2, 2, 40, 'x86', 0.0072, 4.49),
  serverType(45, 'cax11', 2, 4, 40, 'arm', 0.0064, 3.79),
  serverType(104, 'cx22', 2, 4, 40, 'x86', 0.0064, 3.79),
  serverType(105, 'cx32', 4, 8, 80, 'x86', 0.0112, 6.8),
];

function systemImage(id: number, name: string, flavor: string, version: string, description: string, architecture: 'x86' | 'arm', created: string): ImageJson {
  return {
    id,
    type: 'system',
    status: 'available',
    name,
    description,
    image_size: null,
    disk_size: 5,
    created,
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture,
  };
}

export const images: ImageJson[] = [
  systemImage(67794396, 'ubuntu-22.04', 'ubuntu', '22.04', 'Ubuntu 22.04', 'x86', '2022-04-21T13:32:38+00:00'),
  systemImage(103908070, 'ubuntu-22.04', 'ubuntu', '22.04', 'Ubuntu 22.04', 'arm', '2023-03-20T10:00:00+00:00'),
  systemImage(114690387, 'debian-12', 'debian', '12', 'Debian 12', 'x86', '2023-06-13T06:00:02+00:00'),
  systemImage(114690389, 'debian-12', 'debian', '12', 'Debian 12', 'arm', '2023-06-13T06:00:02+00:00'),
  systemImage(161547269, 'ubuntu-24.04', 'ubuntu', '24.04', 'Ubuntu 24.04', 'x86', '2024-04-25T14:34:29+00:00'),
  systemImage(161547270, 'ubuntu-24.04', 'ubuntu', '24.04', 'Ubuntu 24.04', 'arm', '2024-04-25T14:34:29+00:00'),
];

/** A catalog entry by numeric id (`"104"`) or name (`"cx22"`), as Hetzner accepts both. */
export function findByIdOrName<T extends { id: number; name: string }>(entries: T[], idOrName: unknown): T | undefined {
  if (typeof idOrName === 'number') return entries.find((e) => e.id === idOrName);
  if (typeof idOrName !== 'string') return undefined;
  return /^\d+$/.test(idOrName) ? entries.find((e) => e.id === Number(idOrName)) : entries.find((e) => e.name === idOrName);
}

/** Every image an id or name denotes: a name such as `ubuntu-24.04` exists once per architecture. */
export function imagesMatching(idOrName: unknown): ImageJson[] {
  if (typeof idOrName === 'string' && !/^\d+$/.test(idOrName)) return images.filter((i) => i.name === idOrName);
  const single = findByIdOrName(images, idOrName);
  return single ? [single] : [];
}

export const defaultLocation: LocationJson = locations[0]!;
