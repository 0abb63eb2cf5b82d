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
  type: 'system' | 'snapshot' | 'backup' | 'app';
  status: 'available' | 'creating' | 'unavailable';
  /** System images have a name; snapshots have none. */
  name: string | null;
  description: string;
  /** GB the image takes (what a snapshot is billed by); unknown (null) while it is created. */
  image_size: number | null;
  disk_size: number;
  created: string;
  created_from: { id: number; name: string } | null;
  bound_to: null;
  os_flavor: string;
  os_version: string | null;
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
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.045821, longitude: -77.487073, network_zone: 'us-east' },
];

/** Prices differ by location: the US ones cost more, as Hetzner's do. */
const locationPriceFactor: Record<string, number> = { fsn1: 1, nbg1: 1, hel1: 1, ash: 1.2 };

/** VAT Hetzner adds for a German customer; `gross` prices include it. */
export const VAT_RATE = 0.19;

/** Euros as the API writes them: a string with ten decimals. */
export function money(euros: number): string {
  return euros.toFixed(10);
}

export function price(net: number): { net: string; gross: string } {
  return { net: money(net), gross: money(net * (1 + VAT_RATE)) };
}

function prices(hourlyNet: number, monthlyNet: number): ServerTypeJson['prices'] {
  return locations.map((location) => {
    const factor = locationPriceFactor[location.name] ?? 1;
    return {
      location: location.name,
      price_hourly: price(hourlyNet * factor),
      price_monthly: price(Math.round(monthlyNet * factor * 100) / 100),
      included_traffic: includedTraffic,
      price_per_tb_traffic: price(1),
    };
  });
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

/** What a snapshot costs a month per GB of its `image_size`, as `GET /pricing` tells. */
export const snapshotPricePerGbMonth = price(0.011);

/** `GET /v1/pricing`: the fields of hcloud-go's schema.Pricing, from the catalog above. */
export function pricingJson(): Record<string, unknown> {
  return {
    currency: 'EUR',
    vat_rate: (VAT_RATE * 100).toFixed(2),
    image: { price_per_gb_month: snapshotPricePerGbMonth },
    floating_ip: { price_monthly: price(3) },
    floating_ips: [{ type: 'ipv4', prices: locations.map((l) => ({ location: l.name, price_monthly: price(3) })) }],
    primary_ips: [{ type: 'ipv4', prices: locations.map((l) => ({ location: l.name, price_hourly: price(0.0008), price_monthly: price(0.5) })) }],
    traffic: { price_per_tb: price(1) },
    server_backup: { percentage: '20.00' },
    server_types: serverTypes.map((t) => ({ id: t.id, name: t.name, prices: t.prices })),
    load_balancer_types: [],
    volume: { price_per_gb_month: price(0.044) },
  };
}

/** A catalog entry by numeric id (`"104"`) or name (`"cx22"`), as Hetzner accepts both. */
export function findByIdOrName<T extends { id: number; name: string | null }>(entries: T[], idOrName: unknown): T | undefined {
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
