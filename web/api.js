// The page's only data source: this server's GraphQL endpoint (POST JSON). Errors are turned into readable
// messages (with the error code and the argument the server names) for the page to show, never swallowed.

export class ApiError extends Error {
  /** @param {string[]} messages */
  constructor(messages) {
    super(messages.join('\n'));
    this.name = 'ApiError';
    this.messages = messages;
  }
}

function describe(e) {
  const code = e.extensions?.code;
  const arg = e.extensions?.argument;
  const where = e.path ? ` (at ${e.path.join('.')})` : '';
  return `${e.message}${where}${code ? ` [${code}${arg ? `, argument ${arg}` : ''}]` : ''}`;
}

/**
 * Runs one GraphQL request. Resolves to { data, errors } where `errors` are messages that came with (partial) data;
 * rejects with an ApiError when there is no data (network failure, HTTP error, invalid query, failed root field).
 */
export async function gql(query, variables = {}, { signal } = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError([`Could not reach the server: ${e.message}`]);
  }
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch {
    throw new ApiError([`The server answered HTTP ${res.status} ${res.statusText}: ${text.slice(0, 300) || '(empty)'}`]);
  }
  const errors = (body.errors ?? []).map(describe);
  if (!body.data) throw new ApiError(errors.length ? errors : [`The server answered HTTP ${res.status} without data`]);
  return { data: body.data, errors };
}
