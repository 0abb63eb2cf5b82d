// The slice of hcloud-js (which ships no types) this adapter uses: the client, whose HTTP
// transport we replace, and the endpoint objects with the models they map responses to.
declare module 'hcloud-js' {
  import type { AxiosInstance } from 'axios';

  export interface HcloudPage {
    page: number;
    perPage: number;
    nextPage: number | null;
    lastPage: number;
    totalEntries: number;
  }

  export interface HcloudAction {
    id: number;
    command: string;
    status: 'running' | 'success' | 'error';
    progress: number;
    /** Present only when the API sent the field. */
    error?: { code: string; message: string } | null;
  }

  export interface HcloudServer {
    id: number;
    name: string;
    status: string;
    labels: Record<string, string> | undefined;
    publicNet: { ipv4: { ip: string | null } };
  }

  export interface HcloudServerList extends HcloudPage {
    servers: HcloudServer[];
  }

  export interface HcloudActionList extends HcloudPage {
    actions: HcloudAction[];
  }

  /** List parameters; hcloud-js turns the keys into snake_case query parameters. */
  export interface HcloudListParams {
    labelSelector?: string;
    status?: string;
    page?: number;
    perPage?: number;
  }

  export class Client {
    constructor(options: { token?: string; baseURL?: string; timeout?: number });
    /** Every endpoint sends its request through this instance, read at call time. */
    axios: AxiosInstance;
    servers: {
      list(params?: HcloudListParams): Promise<HcloudServerList>;
      get(id: number): Promise<HcloudServer>;
      delete(id: number): Promise<HcloudAction>;
      actions: {
        list(serverId: number, params?: HcloudListParams): Promise<HcloudActionList>;
        powerOn(serverId: number): Promise<HcloudAction>;
        powerOff(serverId: number): Promise<HcloudAction>;
        shutdown(serverId: number): Promise<HcloudAction>;
      };
    };
    actions: {
      get(id: number): Promise<HcloudAction>;
    };
  }
}
