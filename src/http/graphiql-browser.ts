// Browser entry of the offline GraphQL IDE (bundled by graphiql-bundle.ts with esbuild; never run by Node).
// GraphiQL 5 edits with Monaco, whose language services run in web workers: they are bundled beside this file and
// served by the app, so nothing is fetched from elsewhere.
import { GraphiQL } from 'graphiql';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from 'graphql-ws';
import 'graphiql/style.css';

const base = document.documentElement.dataset.assets ?? '/graphiql/';
const endpoint = document.documentElement.dataset.endpoint ?? '/graphql';

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_id: string, label: string) {
    const file = label === 'json' ? 'json.worker.js' : label === 'graphql' ? 'graphql.worker.js' : 'editor.worker.js';
    return new Worker(`${base}${file}`, { type: 'module' });
  },
};

// POST with a JSON body: a non-simple content type, so Apollo's CSRF prevention lets the IDE through. The headers
// typed in the IDE's Headers tab (e.g. an API key) go with every request.
// Subscriptions go over the WebSocket of the same endpoint (graphql-ws), with the same headers as connection params.
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${endpoint}`;

async function post(params: unknown, opts?: { headers?: Record<string, string> }) {
  const r = await fetch(endpoint, {
    method: 'POST',
    headers: { ...opts?.headers, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify(params),
  });
  return r.json();
}

function fetcher(params: { query?: string; operationName?: string | null }, opts?: { headers?: Record<string, string> }) {
  const isSubscription = /^\s*subscription\b/m.test((params.query ?? '').replace(/#[^\n]*/g, ''));
  if (!isSubscription) return post(params, opts);
  return subscribe(params, opts?.headers ?? {});
}

/** An async iterable of the subscription's results (GraphiQL shows each as it arrives). */
function subscribe(params: unknown, headers: Record<string, string>): AsyncIterable<unknown> {
  const client = createClient({ url: wsUrl, connectionParams: { ...headers }, lazy: true, retryAttempts: 0 });
  const it = client.iterate(params as never);
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => it.next(),
      return: async () => { await it.return?.(); await client.dispose(); return { done: true, value: undefined }; },
    }),
  };
}

const initialQuery = new URLSearchParams(location.search).get('query') ?? undefined;
createRoot(document.getElementById('graphiql')!).render(
  createElement(GraphiQL, { fetcher, initialQuery, defaultQuery: '{\n  dataset { synthetic description }\n}\n' } as never),
);
