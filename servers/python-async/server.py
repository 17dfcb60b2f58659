#!/usr/bin/env python3
"""python-async: a reference HTTP/1.1 server on one asyncio event loop.

Each connection is an asyncio.Protocol with its own RequestParser (and so its own
input buffer); requests are parsed and answered inside data_received, and one
periodic sweep enforces every connection's timeout instead of a timer per read.
Protocol rules live in ../_common/python/gauntlet_http.py, shared with
python-threaded.

Usage: python3 -u server.py PORT ROOT
"""

import asyncio
import os
import signal
import socket
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '_common', 'python'))

import gauntlet_http as g  # noqa: E402

NAME = 'python-async'
BACKLOG = 1024
SWEEP_INTERVAL_S = 0.1
# Past this much unsent output the connection stops reading, so that a client that
# pipelines requests without reading the answers cannot grow our memory.
WRITE_HIGH_WATER = 1024 * 1024

_NEED_DATA = g.NEED_DATA
_HEAD_DONE = g.HEAD_DONE
_ERROR = g.ERROR

# What the connection's single deadline means when it passes.
NONE, IDLE, HEAD, BODY, LINGER = range(5)


class HttpProtocol(asyncio.Protocol):
    __slots__ = ('server', 'site', 'cfg', 'loop', 'parser', 'transport', 'deadline',
                 'deadline_kind', 'write_deadline', 'closing', 'lingering', 'linger_end',
                 'paused', 'eof')

    def __init__(self, server):
        self.server = server
        self.site = server.site
        self.cfg = server.cfg
        self.loop = server.loop
        self.parser = g.RequestParser()
        self.transport = None
        self.deadline = 0.0
        self.deadline_kind = NONE
        self.write_deadline = 0.0
        self.closing = False
        self.lingering = False
        self.linger_end = 0.0
        self.paused = False
        self.eof = False

    # -- transport callbacks -----------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info('socket')
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self.server.conns.add(self)
        if self.server.stopping:
            self.closing = True
            transport.close()
            return
        self.deadline = self.loop.time() + self.cfg.idle_timeout
        self.deadline_kind = IDLE

    def connection_lost(self, exc):
        self.closing = True
        self.server.conns.discard(self)
        self.server.connection_gone()

    def data_received(self, data):
        if self.closing:
            if self.lingering:
                # draining after an error response; the client is not quiet yet
                self.deadline = min(self.linger_end, self.loop.time() + g.LINGER_QUIET_S)
            return
        self.parser.feed(data)
        self.process()

    def eof_received(self):
        if self.lingering:
            self.transport.close()
            return False
        self.eof = True
        self.process()
        # Keep the transport: answers still queued behind backpressure are written
        # before process() closes it.
        return True

    def pause_writing(self):
        self.paused = True
        self.write_deadline = self.loop.time() + g.RESPONSE_SEND_TIMEOUT_S
        try:
            self.transport.pause_reading()
        except (RuntimeError, AttributeError):
            pass

    def resume_writing(self):
        self.paused = False
        if not self.closing:
            try:
                self.transport.resume_reading()
            except (RuntimeError, AttributeError):
                pass
            self.process()

    # -- requests --------------------------------------------------------------------

    def process(self):
        try:
            self._process()
        except Exception:
            # One broken connection must never take the loop down with it.
            traceback.print_exc(file=sys.stderr)
            if not self.closing:
                self.closing = True
                self.transport.abort()

    def _process(self):
        parser = self.parser
        site = self.site
        transport = self.transport
        while not self.closing and not self.paused:
            kind, value = parser.next_event()
            if kind == _NEED_DATA:
                if self.eof:
                    self.closing = True
                    transport.close()  # peer closed; an incomplete request is dropped with it
                    return
                if parser.idle:
                    if self.server.stopping:
                        self.closing = True
                        transport.close()
                        return
                    self.deadline = self.loop.time() + self.cfg.idle_timeout
                    self.deadline_kind = IDLE
                elif parser.reading_body:
                    # inactivity limit: a body that keeps arriving is not stalled
                    self.deadline = self.loop.time() + self.cfg.body_timeout
                    self.deadline_kind = BODY
                elif self.deadline_kind != HEAD:
                    self.deadline = self.loop.time() + self.cfg.header_timeout
                    self.deadline_kind = HEAD
                return

            if kind == _ERROR:
                self.fail(site.error_response(value))
                return

            if kind == _HEAD_DONE:
                early = site.precheck(value)
                if early is not None:
                    # Decided from the head alone: answered without reading the body, so
                    # the connection cannot be reused. Sent instead of 100 Continue.
                    self.fail(early)
                    return
                if value.expect_continue and not parser.body_complete_buffered():
                    # 100 "indicates that the initial part of a request has been received
                    # and has not yet been rejected by the server" (RFC 9110 15.2.1). "A
                    # server MAY omit sending a 100 (Continue) response if it has already
                    # received some or all of the request content" (RFC 9110 10.1.1).
                    transport.write(g.CONTINUE_100)
                continue

            # a complete request
            self.deadline_kind = NONE
            response, close = site.respond(value)
            transport.write(response)
            if close or self.server.stopping:
                if parser.buf:
                    # Unread pipelined input: closing now would reset the connection and
                    # could destroy the response before the client reads it.
                    self.linger()
                else:
                    self.closing = True
                    transport.close()
                return

    def fail(self, response):
        """Send an error response, then close gracefully."""
        self.transport.write(response)
        self.linger()

    def linger(self):
        # Half-close, then drain what the client is still sending (a rejected body, say)
        # for a short while, so that closing does not answer that data with a reset.
        self.closing = True
        transport = self.transport
        if self.eof or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        try:
            transport.resume_reading()
        except (RuntimeError, AttributeError):
            pass
        self.lingering = True
        now = self.loop.time()
        self.linger_end = now + g.LINGER_TOTAL_S
        self.deadline = now + g.LINGER_QUIET_S
        self.deadline_kind = LINGER

    # -- timeouts ------------------------------------------------------------------

    def check(self, now):
        if self.paused and now >= self.write_deadline:
            self.closing = True
            self.transport.abort()  # the client does not read its responses
            return
        kind = self.deadline_kind
        if kind == NONE or now < self.deadline:
            return
        if kind == LINGER:
            self.deadline_kind = NONE
            self.transport.close()
        elif kind == IDLE:
            # an idle keep-alive connection simply ends
            self.deadline_kind = NONE
            self.closing = True
            self.transport.close()
        elif not self.closing:
            self.deadline_kind = NONE
            what = 'request body' if kind == BODY else 'request head'
            self.fail(self.site.error_response(g.HttpError(408, what + ' not received in time')))


class Server:
    def __init__(self, loop, root, cfg):
        self.loop = loop
        self.site = g.Site(root, 'gauntlet-' + NAME)
        self.cfg = cfg
        self.conns = set()
        self.stopping = False
        self.stop_requested = loop.create_future()
        self.drained = None

    def protocol(self):
        return HttpProtocol(self)

    def connection_gone(self):
        if self.drained is not None and not self.conns and not self.drained.done():
            self.drained.set_result(None)

    def request_stop(self):
        if not self.stop_requested.done():
            self.stop_requested.set_result(None)

    async def sweep(self):
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            now = self.loop.time()
            for conn in list(self.conns):
                try:
                    conn.check(now)
                except Exception:
                    traceback.print_exc(file=sys.stderr)

    def begin_stop(self):
        """Stop taking requests: idle keep-alive connections end now, busy ones after
        their current response."""
        self.stopping = True
        self.site.stopping = True
        self.drained = self.loop.create_future()
        for conn in list(self.conns):
            if not conn.closing and conn.parser.idle:
                conn.closing = True
                conn.transport.close()
        self.connection_gone()


async def serve(port, root, cfg):
    loop = asyncio.get_running_loop()
    server = Server(loop, root, cfg)
    host = g.listen_host()
    try:
        listener = await loop.create_server(server.protocol, host, port, backlog=BACKLOG,
                                            reuse_address=True)
    except OSError as exc:
        sys.stderr.write('%s: cannot listen on %s:%d: %s\n' % (NAME, host, port, exc))
        return 1
    port = listener.sockets[0].getsockname()[1]
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, server.request_stop)
    sweeper = loop.create_task(server.sweep())
    print('%s listening on http://%s:%d root=%s' % (NAME, g.url_host(host), port, root), flush=True)

    await server.stop_requested
    listener.close()
    server.begin_stop()
    try:
        await asyncio.wait_for(asyncio.shield(server.drained), g.SHUTDOWN_GRACE_S)
    except asyncio.TimeoutError:
        pass
    sweeper.cancel()
    for conn in list(server.conns):
        conn.transport.abort()
    return 0


def main():
    port, root = g.parse_args(sys.argv, NAME)
    cfg = g.Config()
    code = asyncio.run(serve(port, root, cfg))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == '__main__':
    main()
