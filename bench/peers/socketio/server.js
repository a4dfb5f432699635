// socket.io broadcast server for the side-by-side benchmark: a client joins a room with an
// acknowledged `join` event; a `publish` event is re-emitted to the room as `m`.
//
//   node server.js 127.0.0.1 9400
'use strict';
const { Server } = require('socket.io');

const [host = '127.0.0.1', port = '9400'] = process.argv.slice(2);
const http = require('http').createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') ack('ok');
  });
  socket.on('publish', (room, data) => io.to(room).emit('m', data));
});

http.listen(Number(port), host, () => console.log(`socket.io listening on ${host}:${port}`));
