// Snapshots: images a server's disk is copied into (`create_image`), `creating` until their
// action ends, then `available` with the size they are billed by; deleted at the owner's
// word. System images stay in the fixed catalog; lookups here see both.
import type { Clock } from '../clock';
import { hetznerTime } from './actions';
import { findByIdOrName, images as systemImages, imagesMatching, type ImageJson } from './catalog';

export interface SimImage {
  id: number;
  status: 'creating' | 'available';
  description: string;
  labels: Record<string, string>;
  created: Date;
  createdFrom: { id: number; name: string };
  /** GB of the server's disk the image holds, known once it is available. */
  sizeGb: number;
  /** GB of the disk it was taken from: a server made from it needs at least that much. */
  diskSize: number;
  osFlavor: string;
  osVersion: string | null;
  architecture: 'x86' | 'arm';
}

export interface SnapshotSource {
  id: number;
  name: string;
  diskGb: number;
  image: ImageJson;
}

/** The share of a disk a snapshot of it takes: a fresh agent's disk is mostly empty. */
export function snapshotSizeGb(diskGb: number): number {
  return Math.round((0.08 * diskGb + 0.4) * 100) / 100;
}

export class ImageStore {
  private snapshots = new Map<number, SimImage>();
  // Ids keep counting across resets so an old id never names a new image.
  private nextId = 312_456_000_001;

  constructor(private readonly clock: Clock) {}

  /** A new snapshot of `server`, `creating` until its action ends. */
  snapshot(server: SnapshotSource, description: string, labels: Record<string, string>): SimImage {
    const image: SimImage = {
      id: this.nextId++,
      status: 'creating',
      description,
      labels: { ...labels },
      created: this.clock.now(),
      createdFrom: { id: server.id, name: server.name },
      sizeGb: snapshotSizeGb(server.diskGb),
      diskSize: server.diskGb,
      osFlavor: server.image.os_flavor,
      osVersion: server.image.os_version,
      architecture: server.image.architecture,
    };
    this.snapshots.set(image.id, image);
    return image;
  }

  get(id: number): SimImage | undefined {
    return this.snapshots.get(id);
  }

  all(): SimImage[] {
    return [...this.snapshots.values()];
  }

  remove(id: number): boolean {
    return this.snapshots.delete(id);
  }

  /** Every image as the API lists it: the system catalog, then the snapshots. */
  listed(): ImageJson[] {
    return [...systemImages, ...this.all().map((image) => this.toJson(image))];
  }

  /** The images an id or name on a server create denotes: a snapshot by id, or the catalog's. */
  matching(idOrName: unknown): ImageJson[] {
    const id = typeof idOrName === 'number' ? idOrName : typeof idOrName === 'string' && /^\d+$/.test(idOrName) ? Number(idOrName) : undefined;
    const snapshot = id === undefined ? undefined : this.snapshots.get(id);
    if (snapshot) return [this.toJson(snapshot)];
    return imagesMatching(idOrName);
  }

  /** A system image or snapshot by id, as `GET /images/{id}` answers it. */
  find(id: number): ImageJson | undefined {
    const snapshot = this.snapshots.get(id);
    return snapshot ? this.toJson(snapshot) : findByIdOrName(systemImages, id);
  }

  toJson(image: SimImage): ImageJson {
    return {
      id: image.id,
      type: 'snapshot',
      status: image.status,
      name: null,
      description: image.description,
      image_size: image.status === 'available' ? image.sizeGb : null,
      disk_size: image.diskSize,
      created: hetznerTime(image.created),
      created_from: { ...image.createdFrom },
      bound_to: null,
      os_flavor: image.osFlavor,
      os_version: image.osVersion,
      rapid_deploy: false,
      protection: { delete: false },
      deprecated: null,
      deleted: null,
      labels: { ...image.labels },
      architecture: image.architecture,
    };
  }

  reset(): void {
    this.snapshots = new Map();
  }
}
