// Live updates of the page: the server's `dataChanged` subscription over its WebSocket (/graphql, the
// graphql-transport-ws protocol, spoken directly: three message types are all the page needs). Reconnects with a
// growing pause when the connection drops; a page that cannot connect simply stays as it is.

/** Calls onChange({ version }) each time the store's data version moves; returns a function that stops watching. */
export function watchDataChanges(onChange) {
  let ws, stopped = false, pause = 1000;
  const open = () => {
    if (stopped) return;
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`, 'graphql-transport-ws');
    ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init' }));
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === 'connection_ack') {
        pause = 1000;
        ws.send(JSON.stringify({ id: 'data', type: 'subscribe', payload: { query: 'subscription { dataChanged { version } }' } }));
      } else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (msg.type === 'next' && msg.payload?.data?.dataChanged) onChange(msg.payload.data.dataChanged);
    };
    ws.onclose = () => { if (!stopped) setTimeout(open, (pause = Math.min(pause * 2, 60_000))); };
  };
  open();
  return () => { stopped = true; ws?.close(); };
}
