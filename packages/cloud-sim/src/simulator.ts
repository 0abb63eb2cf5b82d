// Everything the simulator holds, in one place: clock, config, the three clouds' state,
// faults, counts and buckets, with the reset and snapshot the control API exposes.
import { Clock } from './clock';
import { CredentialStore, type SimCredentials, type SimCredentialsPatch } from './credentials';
import { FaultInjector } from './faults';
import { CallbackSender } from './github/callback-delivery';
import { WorkflowRuns, type WorkflowRun } from './github/workflow-runs';
import { ActionStore } from './hetzner/actions';
import type { ImageJson } from './hetzner/catalog';
import { ImageStore } from './hetzner/images';
import { ServerStore } from './hetzner/servers';
import type { SimLogger } from './logger';
import { RateLimiter } from './rate-limit';
import { RequestLog } from './request-log';
import { RouteTable } from './route-table';
import { applySimConfigPatch, defaultSimConfig, type FailableCommand, type SimConfig, type SimConfigPatch } from './sim-config';
import { OAuthTokens } from './tailscale/oauth';
import { Tailnet } from './tailscale/tailnet';

export interface SimulatorOptions {
  callbackSecret: string;
  logger: SimLogger;
  config?: SimConfigPatch;
  /** Who may call the clouds; the built-in sandbox credentials when absent. */
  credentials?: SimCredentials;
  /** Source of randomness (ACPI ignores, fault probabilities, passwords); Math.random by default. */
  random?: () => number;
}

export interface SimStateSnapshot {
  servers: Record<string, unknown>[];
  /** Snapshots (images of type `snapshot`) as `GET /v1/images/{id}` shows them; system images are not state. */
  images: ImageJson[];
  devices: Record<string, unknown>[];
  workflowRuns: WorkflowRun[];
}

export class Simulator {
  readonly clock: Clock;
  readonly logger: SimLogger;
  readonly routes = new RouteTable();
  readonly requestLog = new RequestLog();
  readonly rateLimiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly credentials: CredentialStore;
  readonly actions: ActionStore;
  readonly images: ImageStore;
  readonly servers: ServerStore;
  readonly tailnet: Tailnet;
  readonly oauth: OAuthTokens;
  readonly callbacks: CallbackSender;
  readonly workflows: WorkflowRuns;
  private settings: SimConfig;

  constructor({ callbackSecret, logger, config, credentials, random = Math.random }: SimulatorOptions) {
    this.settings = applySimConfigPatch(defaultSimConfig, config ?? {});
    this.logger = logger;
    this.clock = new Clock(this.settings.timeScale);
    this.rateLimiter = new RateLimiter(this.settings.rateLimit);
    this.faults = new FaultInjector(random);
    this.credentials = new CredentialStore(credentials);
    this.actions = new ActionStore(this.clock, (command) => {
      const failure = this.settings.actionErrors[command as FailableCommand];
      return failure && random() < failure.rate ? { code: failure.code, message: failure.message } : null;
    });
    this.images = new ImageStore(this.clock);
    this.servers = new ServerStore({
      clock: this.clock,
      actions: this.actions,
      images: this.images,
      stallImageCreation: () => this.settings.stallImageCreation,
      acpiIgnoreRate: () => this.settings.acpiIgnoreRate,
      random,
    });
    this.tailnet = new Tailnet(() => this.clock.now(), random);
    this.oauth = new OAuthTokens(this.clock, random);
    this.callbacks = new CallbackSender(callbackSecret, this.clock, logger);
    this.workflows = new WorkflowRuns({
      clock: this.clock,
      servers: this.servers,
      actions: this.actions,
      tailnet: this.tailnet,
      rateLimiter: this.rateLimiter,
      callbacks: this.callbacks,
      config: () => this.settings,
      logger,
    });
  }

  get config(): SimConfig {
    return structuredClone(this.settings);
  }

  configure(patch: SimConfigPatch): SimConfig {
    this.settings = applySimConfigPatch(this.settings, patch);
    this.clock.timeScale = this.settings.timeScale;
    if (patch.rateLimit) this.rateLimiter.configure(this.settings.rateLimit);
    return this.config;
  }

  /** Replaces the credentials of each cloud the patch names. */
  setCredentials(patch: SimCredentialsPatch): SimCredentials {
    return this.credentials.apply(patch);
  }

  /** Forgets servers, snapshots, actions, devices, tokens, runs, faults, counts and buckets; keeps the config and credentials. */
  reset(): void {
    this.halt();
    this.actions.reset();
    this.images.reset();
    this.servers.reset();
    this.tailnet.reset();
    this.oauth.reset();
    this.workflows.reset();
    this.faults.clear();
    this.requestLog.reset();
    this.rateLimiter.reset();
  }

  /** Stops everything in motion: timers, sleeping runs, callbacks on the wire. */
  halt(): void {
    this.clock.haltAll();
    this.callbacks.abortAll();
  }

  snapshot(): SimStateSnapshot {
    return {
      servers: this.servers.all().map((s) => this.servers.toJson(s)),
      images: this.images.all().map((image) => this.images.toJson(image)),
      devices: this.tailnet.all().map((d) => this.tailnet.toJson(d, 'all')),
      workflowRuns: this.workflows.all(),
    };
  }
}
