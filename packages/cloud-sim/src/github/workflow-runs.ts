// A dispatched provisioning workflow played step by step (running callback, labelled server,
// device, bootstrap, completed) or failing at the configured step, leaving what it created.
// Its own Hetzner calls spend its project's rate-limit bucket, as the real workflow's would.
import { ClockHalted, type Clock } from '../clock';
import type { ActionStore } from '../hetzner/actions';
import { HetznerError } from '../hetzner/errors';
import type { ServerStore } from '../hetzner/servers';
import { projectBucket, type RateLimiter } from '../rate-limit';
import type { SimLogger } from '../logger';
import type { ProvisioningFailureStep, SimConfig } from '../sim-config';
import { InvalidDevice, type SimDevice, type Tailnet } from '../tailscale/tailnet';
import { newCallbackRecord, type CallbackPayload, type CallbackRecord, type CallbackSender } from './callback-delivery';

export interface DispatchInputs {
  job_id: string;
  agent_id: string;
  callback_url: string;
}

/** Which workflow a dispatch started, as the GitHub router resolved it. */
export interface DispatchTarget {
  repository: string;
  workflow: string;
  workflowId: number;
  ref: string;
  /** The Hetzner project whose token the workflow's own calls use. */
  hetznerProject: string;
}

export interface WorkflowRun {
  id: number;
  repository: string;
  workflow: string;
  workflowId: number;
  ref: string;
  hetznerProject: string;
  inputs: DispatchInputs;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | null;
  failAtStep: ProvisioningFailureStep | null;
  /** The step that failed, and why. */
  failedStep: ProvisioningFailureStep | null;
  error: string | null;
  serverId: number | null;
  deviceId: string | null;
  callbacks: CallbackRecord[];
  createdAt: string;
}

interface Dependencies {
  clock: Clock;
  servers: ServerStore;
  actions: ActionStore;
  tailnet: Tailnet;
  rateLimiter: RateLimiter;
  callbacks: CallbackSender;
  config: () => SimConfig;
  logger: SimLogger;
}

/** The step failed on purpose (configured) or because the cloud refused. */
class StepFailed extends Error {
  constructor(
    readonly step: ProvisioningFailureStep,
    message: string,
  ) {
    super(message);
  }
}

export class WorkflowRuns {
  private runs: WorkflowRun[] = [];
  /** Bumped by reset: a run from an older epoch stops at its next step instead of acting. */
  private epoch = 0;
  // Run ids keep counting across resets.
  private nextId = 9_000_000_001;

  constructor(private readonly deps: Dependencies) {}

  /** Records the run and starts it in the background, like GitHub after a 204. */
  dispatch(target: DispatchTarget, inputs: DispatchInputs): WorkflowRun {
    const { provisioning } = this.deps.config();
    const run: WorkflowRun = {
      id: this.nextId++,
      ...target,
      inputs: { ...inputs },
      status: 'queued',
      conclusion: null,
      failAtStep: provisioning.failAtStep,
      failedStep: null,
      error: null,
      serverId: null,
      deviceId: null,
      callbacks: [],
      createdAt: this.deps.clock.now().toISOString(),
    };
    this.runs.push(run);
    this.execute(run, provisioning.delayMs).catch((error: unknown) => {
      if (error instanceof ClockHalted) return;
      this.deps.logger.error({ err: error, runId: run.id, jobId: run.inputs.job_id }, 'simulated workflow run crashed');
    });
    return run;
  }

  all(): WorkflowRun[] {
    return this.runs.map(copyRun);
  }

  get(id: number): WorkflowRun | undefined {
    const run = this.runs.find((candidate) => candidate.id === id);
    return run && copyRun(run);
  }

  reset(): void {
    this.runs = [];
    this.epoch += 1;
  }

  private async execute(run: WorkflowRun, delayMs: number): Promise<void> {
    const { actions, logger } = this.deps;
    const agentId = run.inputs.agent_id;
    const hostname = `agent-${agentId}`;
    const epoch = this.epoch;
    const pause = async (): Promise<void> => {
      await this.deps.clock.sleep(delayMs);
      if (this.epoch !== epoch) throw new ClockHalted();
    };
    const step = (name: ProvisioningFailureStep): void => {
      if (this.epoch !== epoch) throw new ClockHalted();
      if (run.failAtStep === name) throw new StepFailed(name, `simulated failure at step ${name}`);
    };

    await pause();
    run.status = 'in_progress';
    await this.callback(run, { job_id: run.inputs.job_id, status: 'running' });

    try {
      await pause();
      step('server');
      // `hcloud server create` waits out a 429 like the official clients do, then sends.
      await this.spendHetznerRequest(run, epoch);
      const created = this.createServer(hostname, run);
      run.serverId = created.server.id;
      await actions.settled(created.action.id);
      // …and reads the finished create action once.
      await this.spendHetznerRequest(run, epoch);

      await pause();
      step('tailscale');
      const device = this.joinTailnet(hostname);
      run.deviceId = device.id;

      await pause();
      step('bootstrap');

      run.status = 'completed';
      run.conclusion = 'success';
      await this.callback(run, {
        job_id: run.inputs.job_id,
        status: 'completed',
        server_id: created.server.id,
        tailscale_device_id: device.id,
        tailscale_hostname: device.hostname,
        ...(created.server.ipv4 ? { ipv4: created.server.ipv4.ip } : {}),
      });
    } catch (error) {
      if (!(error instanceof StepFailed)) throw error;
      logger.info({ runId: run.id, jobId: run.inputs.job_id, step: error.step, serverId: run.serverId, deviceId: run.deviceId }, 'simulated provisioning failed');
      run.status = 'completed';
      run.conclusion = 'failure';
      run.failedStep = error.step;
      run.error = error.message;
      await this.callback(run, { job_id: run.inputs.job_id, status: 'failed', step: error.step, error: error.message });
    }
  }

  /** Takes one request from the run's Hetzner project bucket, waiting for a refill when it is empty. */
  private async spendHetznerRequest(run: WorkflowRun, epoch: number): Promise<void> {
    for (;;) {
      const verdict = this.deps.rateLimiter.take(projectBucket(run.hetznerProject));
      if (verdict.allowed) return;
      await this.deps.clock.sleepReal(Math.max(10, (verdict.resetAt * 1000 - Date.now()) / Math.max(1, verdict.limit - verdict.remaining)));
      if (this.epoch !== epoch) throw new ClockHalted();
    }
  }

  private createServer(name: string, run: WorkflowRun): ReturnType<ServerStore['create']> {
    try {
      return this.deps.servers.create({
        name,
        server_type: 'cx22',
        image: 'ubuntu-24.04',
        location: 'fsn1',
        labels: { 'managed-by': 'agent-lifecycle', 'agent-id': run.inputs.agent_id, 'job-id': run.inputs.job_id },
      });
    } catch (error) {
      if (error instanceof HetznerError) throw new StepFailed('server', `hcloud: ${error.message} (${error.code})`);
      throw error;
    }
  }

  private joinTailnet(hostname: string): SimDevice {
    try {
      return this.deps.tailnet.add({ hostname, tags: ['tag:agent'] });
    } catch (error) {
      if (error instanceof InvalidDevice) throw new StepFailed('tailscale', `tailscale up: ${error.message}`);
      throw error;
    }
  }

  private async callback(run: WorkflowRun, payload: CallbackPayload): Promise<void> {
    const record = newCallbackRecord(payload.status);
    run.callbacks.push(record);
    await this.deps.callbacks.send(run.inputs.callback_url, payload, record);
  }
}

function copyRun(run: WorkflowRun): WorkflowRun {
  return { ...run, inputs: { ...run.inputs }, callbacks: run.callbacks.map((c) => ({ ...c })) };
}
