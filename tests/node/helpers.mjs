// Shared by the *.test.mjs files: a fresh tenant (its own API key) on the running fake.
//
// The fake is started by tests/test_client_matrix.py (`fakeopenai serve --port 0`), which
// passes its address as OPENAI_BASE_URL. To run these by hand:
//   fakeopenai serve --port 8000 &
//   cd tests/node && npm ci && OPENAI_BASE_URL=http://127.0.0.1:8000/v1 node --test
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import OpenAI from 'openai';

export const BASE_URL = process.env.OPENAI_BASE_URL;
assert.ok(BASE_URL, 'OPENAI_BASE_URL must point at a running `fakeopenai serve` (http://127.0.0.1:PORT/v1)');
export const ORIGIN = new URL(BASE_URL).origin;

/** A tenant of its own: an API key no other test uses, SDK clients for it, and the control API. */
export function tenant(label) {
  const apiKey = `sk-node-${label}-${randomUUID()}`;
  const control = async (method, path, body) => {
    const response = await fetch(ORIGIN + path, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `${method} ${path} -> ${response.status}: ${text}`);
    return JSON.parse(text);
  };
  return {
    apiKey,
    /** An official SDK client for this tenant; no retries unless asked, so no error is hidden. */
    client: (options = {}) => new OpenAI({ apiKey, baseURL: BASE_URL, maxRetries: 0, ...options }),
    /** Load a built-in scenario by name, or a scenario given as an object; resets the tenant. */
    load: (scenario) => control('PUT', '/_fake/scenario', typeof scenario === 'string' ? { name: scenario } : scenario),
    /** The requests this tenant made, oldest first, as the fake recorded them. */
    requests: () => control('GET', '/_fake/requests'),
    violations: () => control('GET', '/_fake/violations'),
    /** The tenant's webhook deliveries, once none is pending (waits up to 10 s). */
    webhooks: () => control('GET', '/_fake/webhooks?wait=10'),
  };
}
