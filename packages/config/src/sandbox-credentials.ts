// The built-in sandbox credentials: the service uses them when no real ones are set, and the
// simulator accepts them by default, so pieces started alone with no configuration agree.

export const sandboxCredentials = {
  hetzner: { token: 'sandbox-hcloud-token' },
  tailscale: {
    apiKey: 'sandbox-tailscale-key',
    /** An OAuth client the simulator knows too, with the one scope device removal needs. */
    oauthClient: { clientId: 'sandbox-oauth-client', clientSecret: 'sandbox-oauth-secret', scopes: ['devices:core'] },
    tailnet: '-',
  },
  github: { token: 'sandbox-github-token', repo: 'example/agents', workflow: 'provision-agent.yml', ref: 'main' },
} as const;
