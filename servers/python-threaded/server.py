#!/usr/bin/env python3
"""python-threaded: a reference HTTP/1.1 server with one OS thread per connection.

Plain sockets and threads (no http.server / socketserver): the accept loop hands
each connection to a new daemon thread that blocks on its own socket. Protocol
rules live in ../_common/python/gauntlet_http.py, shared with python-async.

Usage: python3 -u server.py PORT ROOT
"""

import _thread
import errno
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '_common', 'python'))

import gauntlet_http as g  # noqa: E402

NAME = 'python-threaded'
BACKLOG = 1024
RECV_SIZE = 65536

_monotonic = time.monotonic
_NEED_DATA = g.NEED_DATA
_HEAD_DONE = g.HEAD_DONE
_ERROR = g.ERROR


class Conn:
    __slots__ = ('sock', 'idle')

    def __init__(self, sock):
        self.sock = sock
        self.idle = False


class Server:
    def __init__(self, root, cfg):
        self.site = g.Site(root, 'gauntlet-' + NAME)
        self.cfg = cfg
        self.lock = threading.Lock()
        self.drained = threading.Condition(self.lock)
        self.conns = set()
        self.stopping = False

    # -- one connection, on its own thread -------------------------------------

    def serve(self, sock):
        conn = Conn(sock)
        with self.lock:
            if self.stopping:
                sock.close()
                return
            self.conns.add(conn)
        try:
            self._run(conn)
        except Exception:
            # One broken connection must never take the server down with it.
            traceback.print_exc(file=sys.stderr)
        finally:
            with self.lock:
                self.conns.discard(conn)
                try:
                    sock.close()
                except OSError:
                    pass
                if not self.conns:
                    self.drained.notify_all()

    def _run(self, conn):
        sock = conn.sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        site = self.site
        cfg = self.cfg
        parser = g.RequestParser()
        recv = sock.recv
        settimeout = sock.settimeout
        head_deadline = None
        while True:
            kind, value = parser.next_event()
            if kind == _NEED_DATA:
                if parser.idle:
                    with self.lock:
                        if self.stopping:
                            return
                        conn.idle = True
                    head_deadline = None
                    settimeout(cfg.idle_timeout)
                elif parser.reading_body:
                    # inactivity limit: a body that keeps arriving is not stalled
                    settimeout(cfg.body_timeout)
                else:
                    now = _monotonic()
                    if head_deadline is None:
                        head_deadline = now + cfg.header_timeout
                    left = head_deadline - now
                    if left <= 0:
                        self._fail(sock, site.error_response(g.HttpError(408, 'request head not received in time')))
                        return
                    settimeout(left)
                try:
                    data = recv(RECV_SIZE)
                except socket.timeout:
                    if parser.idle:
                        return  # an idle keep-alive connection simply ends
                    what = 'request body' if parser.reading_body else 'request head'
                    self._fail(sock, site.error_response(g.HttpError(408, what + ' not received in time')))
                    return
                except OSError:
                    return
                conn.idle = False
                if not data:
                    return  # peer closed; an incomplete request is dropped with it
                parser.feed(data)
                continue

            if kind == _ERROR:
                self._fail(sock, site.error_response(value))
                return

            if kind == _HEAD_DONE:
                early = site.precheck(value)
                if early is not None:
                    # Decided from the head alone: answered without reading the body, so
                    # the connection cannot be reused. Sent instead of 100 Continue.
                    self._fail(sock, early)
                    return
                if value.expect_continue and not parser.body_complete_buffered():
                    # 100 "indicates that the initial part of a request has been received
                    # and has not yet been rejected by the server" (RFC 9110 15.2.1). "A
                    # server MAY omit sending a 100 (Continue) response if it has already
                    # received some or all of the request content" (RFC 9110 10.1.1).
                    settimeout(g.RESPONSE_SEND_TIMEOUT_S)
                    try:
                        sock.sendall(g.CONTINUE_100)
                    except OSError:
                        return
                continue

            # a complete request
            head_deadline = None
            response, close = site.respond(value)
            settimeout(g.RESPONSE_SEND_TIMEOUT_S)
            try:
                sock.sendall(response)
            except OSError:
                return
            if close or self.stopping:
                if parser.buf:
                    # Unread pipelined input: closing now would reset the connection and
                    # could destroy the response before the client reads it.
                    self._linger(sock)
                return

    def _fail(self, sock, response):
        """Send an error response, then close gracefully."""
        sock.settimeout(g.RESPONSE_SEND_TIMEOUT_S)
        try:
            sock.sendall(response)
        except OSError:
            return
        self._linger(sock)

    @staticmethod
    def _linger(sock):
        # Half-close, then drain what the client is still sending (a rejected body, say)
        # for a short while, so that close() does not answer that data with a reset.
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        end = _monotonic() + g.LINGER_TOTAL_S
        while True:
            left = end - _monotonic()
            if left <= 0:
                return
            sock.settimeout(min(g.LINGER_QUIET_S, left))
            try:
                if not sock.recv(RECV_SIZE):
                    return
            except OSError:
                return

    # -- shutdown ----------------------------------------------------------------

    def stop(self):
        """Stop taking requests: idle keep-alive connections end now, busy ones after
        their current response, and the wait for them is bounded."""
        with self.lock:
            self.stopping = True
            self.site.stopping = True
            for conn in list(self.conns):
                if conn.idle:
                    try:
                        # wakes the blocked recv(), which then sees end of input
                        conn.sock.shutdown(socket.SHUT_RD)
                    except OSError:
                        pass
            deadline = _monotonic() + g.SHUTDOWN_GRACE_S
            while self.conns:
                left = deadline - _monotonic()
                if left <= 0:
                    break
                self.drained.wait(left)


def main():
    port, root = g.parse_args(sys.argv, NAME)
    cfg = g.Config()
    host = g.listen_host()
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((host, port))
        lsock.listen(BACKLOG)
    except OSError as exc:
        sys.stderr.write('%s: cannot listen on %s:%d: %s\n' % (NAME, host, port, exc))
        sys.exit(1)
    lsock.setblocking(False)
    port = lsock.getsockname()[1]

    # Signals only set a flag through a pipe that the accept loop polls, so a signal
    # never interrupts the loop half-way through starting a thread.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def on_signal(signum, frame):
        try:
            os.write(wake_w, b'x')
        except OSError:
            pass

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    threading.stack_size(512 * 1024)
    server = Server(root, cfg)
    print('%s listening on http://%s:%d root=%s' % (NAME, g.url_host(host), port, root), flush=True)

    poller = select.poll()
    poller.register(lsock.fileno(), select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    lfd = lsock.fileno()
    accept = lsock.accept
    running = True
    while running:
        for fd, _ in poller.poll():
            if fd != lfd:
                running = False
                break
            while True:
                try:
                    csock, _addr = accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                        time.sleep(0.01)  # out of descriptors: let connections finish
                    break
                try:
                    # _thread rather than threading.Thread: Thread.start() waits until the
                    # new thread has signalled that it runs, a handshake that costs the
                    # accept loop a GIL round trip per connection. The thread is as
                    # daemonic: nothing waits for it at exit.
                    _thread.start_new_thread(server.serve, (csock,))
                except RuntimeError:
                    csock.close()  # cannot start a thread: refuse this one, keep serving

    lsock.close()
    server.stop()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
