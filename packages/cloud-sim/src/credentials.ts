// Who the simulated clouds let in, as the real ones decide it: Hetzner tokens belong to
// projects, Tailscale knows its API keys and OAuth clients (with scopes), GitHub its tokens,
// workflows, refs and inputs. Defaults are the sandbox credentials the service uses.
import { sandboxCredentials } from '@agent-lifecycle/config';

export interface HetznerProject {
  /** Names the project's rate-limit bucket and the workflows that use it. */
  name: string;
  /** API tokens of the project; every one of them spends the project's one bucket. */
  tokens: string[];
}

export interface TailscaleOAuthClient {
  clientId: string;
  clientSecret: string;
  /** Scopes its access tokens carry, e.g. `devices:core`, `devices:core:read`, `all`. */
  scopes: string[];
}

export interface GithubToken {
  token: string;
  /** The token's "Actions" repository permission: dispatching a workflow needs `write`. */
  actions: 'read' | 'write';
}

export interface GithubWorkflow {
  /** `owner/name`. */
  repository: string;
  /** The workflow's file name; its numeric id is given by the simulator. */
  workflow: string;
  /** Branches a dispatch may name. */
  refs: string[];
  /** The inputs the workflow declares (all required). */
  inputs: string[];
  /** The Hetzner project whose token the workflow's own calls use. */
  hetznerProject: string;
}

export interface SimCredentials {
  hetzner: { projects: HetznerProject[] };
  tailscale: {
    /** Tailnet names the credentials reach, besides `-` (the credential's default tailnet). */
    tailnets: string[];
    /** API access keys: full access to the tailnet. */
    apiKeys: string[];
    oauthClients: TailscaleOAuthClient[];
  };
  github: { tokens: GithubToken[]; workflows: GithubWorkflow[] };
}

/** A `PUT /_sim/credentials` body: each cloud given replaces that cloud's credentials. */
export type SimCredentialsPatch = Partial<SimCredentials>;

export const provisioningInputs = ['job_id', 'agent_id', 'callback_url'] as const;

export const SANDBOX_PROJECT = 'sandbox';

/** What the simulator accepts out of the box: exactly the service's sandbox defaults. */
export function defaultSimCredentials(): SimCredentials {
  const { hetzner, tailscale, github } = sandboxCredentials;
  return {
    hetzner: { projects: [{ name: SANDBOX_PROJECT, tokens: [hetzner.token] }] },
    tailscale: {
      tailnets: [],
      apiKeys: [tailscale.apiKey],
      oauthClients: [{ clientId: tailscale.oauthClient.clientId, clientSecret: tailscale.oauthClient.clientSecret, scopes: [...tailscale.oauthClient.scopes] }],
    },
    github: {
      tokens: [{ token: github.token, actions: 'write' }],
      workflows: [{ repository: github.repo, workflow: github.workflow, refs: [github.ref], inputs: [...provisioningInputs], hetznerProject: SANDBOX_PROJECT }],
    },
  };
}

/** The service's view of its clouds, as `@agent-lifecycle/config` gives it. */
export interface ServiceCredentials {
  hetzner: { token: string };
  tailscale: { apiKey?: string; oauth?: { clientId: string; clientSecret: string }; tailnet: string };
  github: { token: string; repo: string; workflow: string };
}

/**
 * The credentials to start a simulator with so it accepts exactly what the service was
 * given (`npm start`, `npm run sim`), plus the built-in sandbox ones.
 */
export function simCredentialsFor(service: ServiceCredentials): SimCredentials {
  const credentials = defaultSimCredentials();
  const unique = <T>(values: T[]): T[] => [...new Set(values)];
  const sandboxProject = credentials.hetzner.projects[0]!;
  sandboxProject.tokens = unique([...sandboxProject.tokens, service.hetzner.token]);
  const { tailscale, github } = service;
  if (tailscale.tailnet !== '-') credentials.tailscale.tailnets.push(tailscale.tailnet);
  if (tailscale.apiKey) credentials.tailscale.apiKeys = unique([...credentials.tailscale.apiKeys, tailscale.apiKey]);
  if (tailscale.oauth && !credentials.tailscale.oauthClients.some((c) => c.clientId === tailscale.oauth?.clientId)) {
    credentials.tailscale.oauthClients.push({ ...tailscale.oauth, scopes: ['devices:core'] });
  }
  if (!credentials.github.tokens.some((t) => t.token === github.token)) credentials.github.tokens.push({ token: github.token, actions: 'write' });
  if (!credentials.github.workflows.some((w) => w.repository === github.repo && w.workflow === github.workflow)) {
    credentials.github.workflows.push({ repository: github.repo, workflow: github.workflow, refs: [sandboxCredentials.github.ref], inputs: [...provisioningInputs], hetznerProject: SANDBOX_PROJECT });
  }
  return credentials;
}

export class InvalidCredentials extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidCredentials';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function list(source: Record<string, unknown>, key: string, field: string): unknown[] {
  const value = source[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidCredentials(field, 'must be an array');
  return value;
}

function strings(source: Record<string, unknown>, key: string, field: string, { nonEmpty = false } = {}): string[] {
  const values = list(source, key, field);
  values.forEach((value, index) => {
    if (typeof value !== 'string' || value.trim() === '') throw new InvalidCredentials(`${field}[${index}]`, 'must be a non-empty string');
  });
  if (nonEmpty && values.length === 0) throw new InvalidCredentials(field, 'must name at least one');
  return values as string[];
}

function text(source: Record<string, unknown>, key: string, field: string): string {
  const value = source[key];
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidCredentials(field, 'must be a non-empty string');
  return value;
}

function objects(source: Record<string, unknown>, key: string, field: string): Array<[Record<string, unknown>, string]> {
  return list(source, key, field).map((value, index) => {
    if (!isRecord(value)) throw new InvalidCredentials(`${field}[${index}]`, 'must be an object');
    return [value, `${field}[${index}]`];
  });
}

/** Checks an untrusted `PUT /_sim/credentials` body; throws InvalidCredentials naming the bad field. */
export function parseSimCredentialsPatch(body: unknown, current: SimCredentials): SimCredentialsPatch {
  if (!isRecord(body)) throw new InvalidCredentials('body', 'must be a JSON object');
  for (const key of Object.keys(body)) if (!['hetzner', 'tailscale', 'github'].includes(key)) throw new InvalidCredentials(key, 'is not a cloud (hetzner, tailscale, github)');
  const patch: SimCredentialsPatch = {};

  if (body.hetzner !== undefined) {
    if (!isRecord(body.hetzner)) throw new InvalidCredentials('hetzner', 'must be an object');
    const projects = objects(body.hetzner, 'projects', 'hetzner.projects').map(([project, field]) => ({ name: text(project, 'name', `${field}.name`), tokens: strings(project, 'tokens', `${field}.tokens`, { nonEmpty: true }) }));
    const names = projects.map((p) => p.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new InvalidCredentials('hetzner.projects', `project '${duplicate}' is named twice`);
    const tokens = projects.flatMap((p) => p.tokens);
    const shared = tokens.find((token, index) => tokens.indexOf(token) !== index);
    if (shared !== undefined) throw new InvalidCredentials('hetzner.projects', 'a token belongs to one project only');
    patch.hetzner = { projects };
  }

  if (body.tailscale !== undefined) {
    if (!isRecord(body.tailscale)) throw new InvalidCredentials('tailscale', 'must be an object');
    patch.tailscale = {
      tailnets: strings(body.tailscale, 'tailnets', 'tailscale.tailnets'),
      apiKeys: strings(body.tailscale, 'apiKeys', 'tailscale.apiKeys'),
      oauthClients: objects(body.tailscale, 'oauthClients', 'tailscale.oauthClients').map(([client, field]) => ({
        clientId: text(client, 'clientId', `${field}.clientId`),
        clientSecret: text(client, 'clientSecret', `${field}.clientSecret`),
        scopes: strings(client, 'scopes', `${field}.scopes`, { nonEmpty: true }),
      })),
    };
  }

  if (body.github !== undefined) {
    if (!isRecord(body.github)) throw new InvalidCredentials('github', 'must be an object');
    const projectNames = (patch.hetzner ?? current.hetzner).projects.map((p) => p.name);
    patch.github = {
      tokens: objects(body.github, 'tokens', 'github.tokens').map(([token, field]) => {
        const actions = token.actions ?? 'write';
        if (actions !== 'read' && actions !== 'write') throw new InvalidCredentials(`${field}.actions`, 'must be read or write');
        return { token: text(token, 'token', `${field}.token`), actions };
      }),
      workflows: objects(body.github, 'workflows', 'github.workflows').map(([workflow, field]) => {
        const repository = text(workflow, 'repository', `${field}.repository`);
        if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) throw new InvalidCredentials(`${field}.repository`, 'must look like owner/name');
        const hetznerProject = workflow.hetznerProject === undefined ? projectNames[0] : text(workflow, 'hetznerProject', `${field}.hetznerProject`);
        if (hetznerProject === undefined || !projectNames.includes(hetznerProject)) throw new InvalidCredentials(`${field}.hetznerProject`, 'must name a Hetzner project');
        return {
          repository,
          workflow: text(workflow, 'workflow', `${field}.workflow`),
          refs: workflow.refs === undefined ? ['main'] : strings(workflow, 'refs', `${field}.refs`, { nonEmpty: true }),
          inputs: workflow.inputs === undefined ? [...provisioningInputs] : strings(workflow, 'inputs', `${field}.inputs`),
          hetznerProject,
        };
      }),
    };
  }
  if (patch.hetzner && !patch.github) {
    const names = patch.hetzner.projects.map((p) => p.name);
    const orphan = current.github.workflows.findIndex((w) => !names.includes(w.hetznerProject));
    if (orphan !== -1) throw new InvalidCredentials('hetzner.projects', `drops project '${current.github.workflows[orphan]?.hetznerProject}', which github.workflows[${orphan}] uses`);
  }
  return patch;
}

/** A credential's access to the tailnet: API keys have all of it, OAuth tokens their client's scopes. */
export interface TailscaleGrant {
  scopes: string[];
}

/**
 * Whether `scopes` allow `needed`: `all` covers everything, `all:read` every read, a scope
 * covers its own `:read`, and the legacy `devices` scope stands for `devices:core`.
 */
export function scopeAllows(scopes: readonly string[], needed: string): boolean {
  const reading = needed.endsWith(':read');
  const base = reading ? needed.slice(0, -':read'.length) : needed;
  return scopes.some((scope) => {
    const granted = scope === 'devices' ? 'devices:core' : scope === 'devices:read' ? 'devices:core:read' : scope;
    if (granted === 'all' || granted === needed) return true;
    if (reading && (granted === 'all:read' || granted === base)) return true;
    return false;
  });
}

export interface ResolvedWorkflow extends GithubWorkflow {
  /** GitHub's numeric workflow id, accepted in place of the file name. */
  id: number;
}

/** The credentials in force, with the lookups the routers need. */
export class CredentialStore {
  private current: SimCredentials;

  constructor(initial: SimCredentials = defaultSimCredentials()) {
    this.current = structuredClone(initial);
  }

  get all(): SimCredentials {
    return structuredClone(this.current);
  }

  apply(patch: SimCredentialsPatch): SimCredentials {
    this.current = { ...this.current, ...structuredClone(patch) };
    return this.all;
  }

  /** The project a Hetzner token belongs to; undefined for a token no project has. */
  hetznerProject(token: string): string | undefined {
    return this.current.hetzner.projects.find((project) => project.tokens.includes(token))?.name;
  }

  isTailscaleApiKey(credential: string): boolean {
    return this.current.tailscale.apiKeys.includes(credential);
  }

  tailscaleClient(clientId: string, clientSecret: string): TailscaleOAuthClient | undefined {
    return this.current.tailscale.oauthClients.find((client) => client.clientId === clientId && client.clientSecret === clientSecret);
  }

  knowsTailnet(name: string): boolean {
    return name === '-' || this.current.tailscale.tailnets.includes(name);
  }

  githubToken(token: string): GithubToken | undefined {
    return this.current.github.tokens.find((candidate) => candidate.token === token);
  }

  githubRepositoryExists(repository: string): boolean {
    return this.current.github.workflows.some((workflow) => sameName(workflow.repository, repository));
  }

  /** A workflow by repository and file name or numeric id (GitHub accepts both). */
  githubWorkflow(repository: string, workflowIdOrName: string): ResolvedWorkflow | undefined {
    const index = this.current.github.workflows.findIndex(
      (workflow, i) => sameName(workflow.repository, repository) && (workflow.workflow === workflowIdOrName || String(workflowId(i)) === workflowIdOrName),
    );
    const workflow = this.current.github.workflows[index];
    return workflow && { ...structuredClone(workflow), id: workflowId(index) };
  }

  /** Every branch the repository's workflows know. */
  githubBranches(repository: string): string[] {
    return [...new Set(this.current.github.workflows.filter((w) => sameName(w.repository, repository)).flatMap((w) => w.refs))];
  }
}

/** GitHub owner and repository names are not case sensitive. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function workflowId(index: number): number {
  return 161_335_000 + index;
}
