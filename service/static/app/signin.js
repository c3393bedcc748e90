// Signing in through the identity provider, where the service has one (service/sign_in.py): OpenID Connect's
// authorisation code flow with PKCE. While the reader is at the provider this page is left, and its memory with
// it: the state and the code verifier wait in sessionStorage, and are removed on return. The token never is kept
// there: the service redeems the code and the page keeps the token in memory (api.js).
const KEPT = "send-records-sign-in";

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/app`;

/** The identity provider to sign in with ({authorizationEndpoint, clientId, scope}), or null; and why it is
 * unavailable, if it is. */
export async function identityProvider() {
  const body = await fetch("/app/sign-in").then((response) => response.json()).catch((error) => ({ unavailable: error.message }));
  return { provider: body.provider ?? null, unavailable: body.unavailable ?? null };
}

/** Sends the reader to the provider, to come back to this place. */
export async function leave(provider, returnTo) {
  const state = random(), verifier = random();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(KEPT, JSON.stringify({ state, verifier, returnTo }));
  const url = new URL(provider.authorizationEndpoint);
  for (const [name, value] of Object.entries({ response_type: "code", client_id: provider.clientId, redirect_uri: redirectUri(),
    scope: provider.scope, state, code_challenge: challenge, code_challenge_method: "S256" })) url.searchParams.set(name, value);
  location.assign(url);
}

/** The token for the code the provider sent the reader back with (the URL then becomes the place the reader
 * left from), or null when the URL carries no answer of the provider. Throws with the reason of a refusal. */
export async function returned() {
  const answer = new URLSearchParams(location.search);
  if (!answer.has("state")) return null;
  const kept = JSON.parse(sessionStorage.getItem(KEPT) ?? "null");
  sessionStorage.removeItem(KEPT);
  history.replaceState(null, "", kept?.returnTo ?? "/app");
  if (answer.has("error")) throw new Error(`the identity provider said: ${answer.get("error_description") ?? answer.get("error")}`);
  if (!kept || kept.state !== answer.get("state")) throw new Error("this sign-in was not started from this tab: sign in again");
  const response = await fetch("/app/sign-in", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: answer.get("code") ?? "", codeVerifier: kept.verifier, redirectUri: redirectUri() }) });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.token) throw new Error(body.error ?? `the service answered ${response.status}`);
  return body.token;
}
