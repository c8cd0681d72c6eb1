// An HTTPS front for the node's API, for the suites that fetch what the node
// publishes (status lists) through a document loader that only speaks
// https: (vc-bitstring-status-list-test-suite). It forwards every request to
// the API unchanged except for `Host` (the node answers its own address
// only), the way a reverse proxy in front of a real node would.
//
//   node https-proxy.mjs CERT KEY http://127.0.0.1:PORT PORTFILE
//
// Listens on 127.0.0.1 at an ephemeral port and writes the port to PORTFILE.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [cert, key, upstream, portFile] = process.argv.slice(2);
const target = new URL(upstream);

const server = https.createServer({
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key)
}, (req, res) => {
  const forwarded = http.request({
    host: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: {...req.headers, host: target.host}
  }, answer => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  forwarded.on('error', e => {
    res.writeHead(502, {'content-type': 'text/plain'});
    res.end(`upstream: ${e.message}`);
  });
  req.pipe(forwarded);
});

server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile, String(server.address().port));
});
