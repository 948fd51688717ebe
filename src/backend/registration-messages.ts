/**
 * One line per registration error code telling the operator what to do
 * (docs/backend-contract.md "Identity": map each code to a clear log line).
 */
const WHERE = 'in the DeployStack backend (admin area, satellites, registration tokens)';

export const REGISTRATION_MESSAGES: Readonly<Record<string, string>> = {
  registration_token_required:
    `the backend needs a registration token: set DEPLOYSTACK_REGISTRATION_TOKEN to a token created ${WHERE}. ` +
    'It is needed only for the first registration; afterwards the satellite uses the credentials in its data directory.',
  invalid_registration_token:
    'the backend does not recognise DEPLOYSTACK_REGISTRATION_TOKEN: check that it was copied whole ' +
    `(it starts with deploystack_satellite_global_ or deploystack_satellite_team_) or create a new one ${WHERE}.`,
  token_expired: `DEPLOYSTACK_REGISTRATION_TOKEN has expired: create a new registration token ${WHERE} and restart the satellite.`,
  token_already_used:
    'DEPLOYSTACK_REGISTRATION_TOKEN was already used (tokens are single-use). If this satellite registered before, its ' +
    `credentials were lost or revoked: create a new registration token ${WHERE}, set it and restart the satellite.`,
  token_invalid_scope:
    'DEPLOYSTACK_REGISTRATION_TOKEN has the wrong scope for this registration (a global token registers a global ' +
    'satellite, a team token a satellite of that team): use a token of the right kind.',
  registration_failed:
    'the backend failed to register the satellite (an error on its side); the satellite retries on its own. ' +
    "If it persists, check the backend's logs.",
};

/** The operator-facing message for a registration refusal, with the backend's own words when useful. */
export function registrationMessage(code: string, backendMessage: string): string {
  const known = REGISTRATION_MESSAGES[code];
  const detail = backendMessage ? ` (backend: ${backendMessage})` : '';
  if (known) return `registration failed: ${known}${code === 'registration_failed' ? detail : ''}`;
  return `registration failed with an unexpected answer "${code}"${detail}: check DEPLOYSTACK_BACKEND_URL, DEPLOYSTACK_SATELLITE_NAME and DEPLOYSTACK_REGISTRATION_TOKEN.`;
}
