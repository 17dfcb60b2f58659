"""Shared HTTP/1.1 logic of the Python reference servers.

Everything here is free of any I/O model: a RequestParser is fed bytes and hands
back events, a Site turns a parsed Request into the bytes of a response. The
threaded server and the asyncio server differ only in how bytes reach the parser
and how responses reach the socket, so every protocol rule lives in this file.

Rules cite RFC 9110 (HTTP semantics) and RFC 9112 (HTTP/1.1 message syntax).
"""

import os
import re
import stat
import sys
import time
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

import gauntlet_conditional as cond

# ---------------------------------------------------------------------------
# Limits and configuration
# ---------------------------------------------------------------------------

MAX_BODY = 1024 * 1024          # bodies above this get 413
MAX_TARGET = 8000               # request-targets above this get 414
MAX_REQUEST_LINE = 8192         # an unterminated request line past this gets 414
MAX_HEADER_SECTION = 16 * 1024  # field lines (with their CRLFs) above this get 431
MAX_FIELDS = 100                # more field lines than this get 431
MAX_FIELD_LINE = 8 * 1024       # a single field line above this gets 431
MAX_CHUNK_LINE = 4096           # chunk-size line including extensions
MAX_EMPTY_LINES = 64            # CRLFs tolerated before a request line
MAX_TRAILER_SECTION = 16 * 1024

RESPONSE_SEND_TIMEOUT_S = 30.0  # a client that will not read its response is dropped
LINGER_TOTAL_S = 2.0            # how long unread input is drained after an error response
LINGER_QUIET_S = 0.25           # ...ending earlier once the client has gone quiet
SHUTDOWN_GRACE_S = 5.0          # in-flight requests get this long after SIGTERM


def _env_ms(name, default_ms):
    raw = os.environ.get(name, '')
    try:
        value = int(raw)
        if value > 0:
            return value / 1000.0
    except ValueError:
        pass
    return default_ms / 1000.0


class Config:
    """Timeouts from the environment, read once at start."""

    def __init__(self):
        self.header_timeout = _env_ms('GAUNTLET_HEADER_TIMEOUT_MS', 5000)
        self.idle_timeout = _env_ms('GAUNTLET_IDLE_TIMEOUT_MS', 5000)
        # A stalled body is held to the same patience as a stalled head unless told otherwise.
        self.body_timeout = _env_ms('GAUNTLET_BODY_TIMEOUT_MS', self.header_timeout * 1000)


def parse_args(argv, name):
    """`server.py PORT ROOT` -> (port, real root). Exits 2 on bad arguments."""
    if len(argv) != 3:
        sys.stderr.write('usage: %s PORT ROOT\n' % name)
        sys.exit(2)
    try:
        port = int(argv[1], 10)
        if not 0 <= port <= 65535:
            raise ValueError(argv[1])
    except ValueError:
        sys.stderr.write('%s: bad port %r\n' % (name, argv[1]))
        sys.exit(2)
    root = argv[2]
    if not os.path.isdir(root):
        sys.stderr.write('%s: root %r is not a directory\n' % (name, root))
        sys.exit(2)
    return port, os.path.realpath(root)


def listen_host():
    return os.environ.get('GAUNTLET_HOST') or '127.0.0.1'


def url_host(host):
    return '[%s]' % host if ':' in host else host


# ---------------------------------------------------------------------------
# Grammar (RFC 9110 section 5.6.2, RFC 9112 sections 3, 5 and 7.1)
# ---------------------------------------------------------------------------

_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
TOKEN_RE = re.compile(rb'[' + _TCHAR + rb']+')
# "A server MUST reject, with a response status code of 400 (Bad Request), any
# received request message that contains whitespace between a header field name and
# colon." (RFC 9112 5.1): the name must be a token immediately followed by ':'. The value may hold
# VCHAR, obs-text, SP and HTAB; CR, LF, NUL and the other controls are refused
# ("Field values containing CR, LF, or NUL characters are invalid and dangerous",
# RFC 9110 5.5). Leading and trailing OWS are not part of the value.
FIELD_RE = re.compile(rb'([' + _TCHAR + rb']+):[ \t]*((?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)[ \t]*')
VERSION_RE = re.compile(rb'HTTP/[0-9]\.[0-9]')
# A target is visible ASCII only: no controls, no SP, no raw non-ASCII, and no '#':
# a fragment is for the client alone and is never part of a request-target.
TARGET_RE = re.compile(rb'[\x21\x22\x24-\x7e]+')
ABSOLUTE_RE = re.compile(rb'([A-Za-z][A-Za-z0-9+.\-]*)://([^/?]*)(.*)')
HOST_RE = re.compile(
    rb"(?:\[[0-9A-Za-z:.\-_~!$&'()*+,;=]+\]|[0-9A-Za-z\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")
BARE_LF_RE = re.compile(rb'(?<!\r)\n')
BAD_PCT_RE = re.compile(rb'%(?![0-9A-Fa-f]{2})')
ENCODED_SLASH_RE = re.compile(rb'%2[fF]')
_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_TOKEN = rb'[' + _TCHAR + rb']+'
# chunk = chunk-size [ chunk-ext ] CRLF; chunk-size = 1*HEXDIG;
# chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )  (RFC 9112 7.1)
# At most 16 hex digits: anything longer would overflow a 64-bit length anyway.
CHUNK_LINE_RE = re.compile(
    rb'([0-9A-Fa-f]{1,16})(?:[ \t]*;[ \t]*' + _TOKEN +
    rb'(?:[ \t]*=[ \t]*(?:' + _TOKEN + rb'|' + _QUOTED + rb'))?)*')


# ---------------------------------------------------------------------------
# Status lines and error responses
# ---------------------------------------------------------------------------

REASONS = {
    100: 'Continue', 200: 'OK', 204: 'No Content', 206: 'Partial Content', 304: 'Not Modified',
    412: 'Precondition Failed', 416: 'Range Not Satisfiable',
    400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
    408: 'Request Timeout', 413: 'Content Too Large', 414: 'URI Too Long',
    431: 'Request Header Fields Too Large', 500: 'Internal Server Error',
    501: 'Not Implemented', 505: 'HTTP Version Not Supported',
}

CONTINUE_100 = b'HTTP/1.1 100 Continue\r\n\r\n'

SUPPORTED_METHODS = frozenset((b'GET', b'HEAD', b'POST', b'OPTIONS'))
# Methods this server knows but does not allow on its resources: 405, not 501
# ("The origin server MUST generate an Allow header field in a 405 response", RFC 9110 15.5.6).
KNOWN_METHODS = SUPPORTED_METHODS | frozenset((b'PUT', b'DELETE', b'PATCH', b'CONNECT', b'TRACE'))
ALLOW_ALL = 'GET, HEAD, POST, OPTIONS'
ALLOW_FILES = 'GET, HEAD, OPTIONS'
ALLOW_ECHO = 'POST, OPTIONS'


class HttpError(Exception):
    """A request that gets an error status. A framing or parsing error closes the connection; a routing error (404, 405) on a well-framed request need not."""

    def __init__(self, status, detail='', allow=None):
        Exception.__init__(self, status, detail)
        self.status = status
        self.detail = detail or REASONS.get(status, 'Error')
        self.allow = allow
        # set when the refused request is a HEAD: its error response carries no body
        self.head_request = False


_date_cache = [0, b'']


def http_date():
    """IMF-fixdate of the current second (RFC 9110 5.6.7), formatted once per second."""
    now = int(time.time())
    cached = _date_cache
    if cached[0] != now:
        cached[1] = formatdate(now, usegmt=True).encode('ascii')
        cached[0] = now
    return cached[1]


# ---------------------------------------------------------------------------
# Requests and the incremental parser
# ---------------------------------------------------------------------------

class Request:
    __slots__ = ('method', 'target', 'path', 'query', 'http10', 'headers', 'host',
                 'keep_alive', 'content_length', 'chunked', 'expect_continue', 'body',
                 'asterisk')

    def __init__(self):
        self.body = b''
        self.asterisk = False
        self.content_length = 0
        self.chunked = False
        self.expect_continue = False


# Parser states
HEAD, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILER, DEAD = range(7)

# Events returned by RequestParser.next_event()
NEED_DATA = 0       # (NEED_DATA, None)
HEAD_DONE = 1       # (HEAD_DONE, request): head parsed, a body follows
REQUEST = 2         # (REQUEST, request): a whole request, body included
ERROR = 3           # (ERROR, HttpError): answer it and close; the parser is dead

_NEED = (NEED_DATA, None)


class RequestParser:
    """Turns the bytes of one connection into requests, one at a time, in order.

    Bytes beyond the current request stay buffered, so pipelined requests are
    parsed after the current one is answered. After an ERROR event the parser
    refuses everything: a connection is never resynchronised after a framing error.
    """

    __slots__ = ('buf', 'state', 'req', 'body', 'remaining', 'body_total', 'scan',
                 'empty_lines', 'trailer_bytes', 'head_method')

    def __init__(self):
        self.buf = bytearray()
        self.state = HEAD
        self.req = None
        self.body = None
        self.remaining = 0
        self.body_total = 0
        self.scan = 0
        self.empty_lines = 0
        self.trailer_bytes = 0
        self.head_method = False

    def feed(self, data):
        self.buf += data

    @property
    def idle(self):
        """No byte of a next request has arrived (a keep-alive connection at rest)."""
        return self.state == HEAD and not self.buf

    @property
    def reading_body(self):
        return HEAD < self.state < DEAD

    def body_complete_buffered(self):
        """True when the whole Content-Length body is already buffered."""
        return self.state == BODY_LENGTH and len(self.buf) >= self.remaining

    def next_event(self):
        try:
            if self.state == HEAD:
                return self._head()
            if self.state == BODY_LENGTH:
                return self._body_length()
            if self.state == DEAD:
                return (ERROR, HttpError(400, 'connection is no longer usable'))
            return self._chunked()
        except HttpError as err:
            self.state = DEAD
            req = self.req
            err.head_request = req.method == b'HEAD' if req is not None else self.head_method
            return (ERROR, err)

    # -- head ---------------------------------------------------------------

    def _head(self):
        buf = self.buf
        # "a server that is expecting to receive and parse a request-line SHOULD ignore
        # at least one empty line (CRLF) received prior to the request-line" (RFC 9112 2.2)
        while buf[:2] == b'\r\n':
            del buf[:2]
            self.scan = 0
            self.empty_lines += 1
            if self.empty_lines > MAX_EMPTY_LINES:
                raise HttpError(400, 'too many empty lines before the request line')
        if not buf:
            return _NEED
        self.head_method = buf[:5] == b'HEAD '
        scan = self.scan
        end = buf.find(b'\r\n\r\n', scan - 3 if scan > 3 else 0)
        limit = end + 4 if end >= 0 else len(buf)
        # Bare LF is refused rather than taken as a line end: RFC 9112 2.2 lets a
        # recipient accept it, but then a line split differently by another party
        # on the path is the root of request smuggling.
        if BARE_LF_RE.search(buf, scan, limit) is not None:
            raise HttpError(400, 'bare LF in request head')
        if end < 0:
            self.scan = len(buf)
            self._check_partial_head()
            return _NEED
        head = bytes(buf[:end])
        del buf[:end + 4]
        self.scan = 0
        self.empty_lines = 0
        req = self._parse_head(head)
        if req.chunked:
            self.state = CHUNK_SIZE
        elif req.content_length > 0:
            self.state = BODY_LENGTH
            self.remaining = req.content_length
        else:
            return (REQUEST, req)
        self.req = req
        self.body = bytearray()
        self.body_total = 0
        self.trailer_bytes = 0
        return (HEAD_DONE, req)

    def _check_partial_head(self):
        buf = self.buf
        line_end = buf.find(b'\r\n')
        if line_end < 0:
            if len(buf) > MAX_REQUEST_LINE:
                raise HttpError(414, 'request line too long')
            return
        if line_end > MAX_REQUEST_LINE:
            raise HttpError(414, 'request line too long')
        section = len(buf) - line_end - 2
        if section > MAX_HEADER_SECTION:
            raise HttpError(431, 'header section too large')
        if len(buf) - buf.rfind(b'\r\n') - 2 > MAX_FIELD_LINE:
            raise HttpError(431, 'header field too large')
        if buf.count(b'\r\n', line_end + 2) > MAX_FIELDS:
            raise HttpError(431, 'too many header fields')

    def _parse_head(self, head):
        lines = head.split(b'\r\n')
        line = lines[0]
        parts = line.split(b' ')
        # request-line = method SP request-target SP HTTP-version (RFC 9112 3)
        if len(parts) != 3:
            if len(line) > MAX_REQUEST_LINE:
                raise HttpError(414, 'request line too long')
            raise HttpError(400, 'malformed request line')
        method, target, version = parts
        if VERSION_RE.fullmatch(version) is None:
            raise HttpError(400, 'malformed HTTP version')
        major = version[5] - 48
        minor = version[7] - 48
        # "A recipient that receives a message with a major version number that it
        # implements and a minor version number higher than what it implements SHOULD
        # process the message as if it were in the highest minor version within that
        # major version to which the recipient is conformant." (RFC 9110 2.5)
        # So 1.2 to 1.9 are served as 1.1; any other major version is refused.
        if major != 1:
            raise HttpError(505, 'only HTTP/1.x is supported')
        http10 = minor == 0
        if TOKEN_RE.fullmatch(method) is None:
            raise HttpError(400, 'malformed method')
        if len(target) > MAX_TARGET:
            raise HttpError(414, 'request target too long')
        if TARGET_RE.fullmatch(target) is None:
            raise HttpError(400, 'malformed request target')

        req = Request()
        req.method = method
        req.target = target
        req.http10 = http10

        n_fields = len(lines) - 1
        if n_fields > MAX_FIELDS:
            raise HttpError(431, 'too many header fields')
        if len(head) - len(line) > MAX_HEADER_SECTION:
            raise HttpError(431, 'header section too large')

        headers = []
        host = None
        host_count = 0
        lengths = None
        codings = None
        conn_close = False
        conn_keep_alive = False
        expect = False
        field_match = FIELD_RE.fullmatch
        for i in range(1, n_fields + 1):
            field = lines[i]
            if len(field) > MAX_FIELD_LINE:
                raise HttpError(431, 'header field too large')
            m = field_match(field)
            if m is None:
                # Covers obs-fold too: "A server that receives an obs-fold in a request
                # message ... MUST either reject the message by sending a 400 (Bad Request)
                # ... or replace each received obs-fold with one or more SP" (RFC 9112 5.2).
                raise HttpError(400, 'malformed header field')
            name = m.group(1).lower()
            value = m.group(2)
            headers.append((name, value))
            if name == b'host':
                host_count += 1
                host = value
            elif name == b'content-length':
                if lengths is None:
                    lengths = []
                lengths.append(value)
            elif name == b'transfer-encoding':
                if codings is None:
                    codings = []
                codings.append(value)
            elif name == b'connection':
                for tok in value.lower().split(b','):
                    tok = tok.strip(b' \t')
                    if tok == b'close':
                        conn_close = True
                    elif tok == b'keep-alive':
                        conn_keep_alive = True
            elif name == b'expect':
                if value.lower() == b'100-continue':
                    expect = True
        req.headers = headers

        # "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
        # request message that lacks a Host header field and to any request message that
        # contains more than one Host header field line or a Host header field with an
        # invalid field value." (RFC 9112 3.2)
        if host_count > 1:
            raise HttpError(400, 'more than one Host field')
        if host_count == 0 and not http10:
            raise HttpError(400, 'missing Host field')
        if host is not None and HOST_RE.fullmatch(host) is None:
            raise HttpError(400, 'invalid Host field')
        req.host = host

        self._target_form(req)

        if codings is not None:
            # "If a message is received with both a Transfer-Encoding and a Content-Length
            # header field, the Transfer-Encoding overrides the Content-Length. Such a
            # message might indicate an attempt to perform request smuggling ... or
            # response splitting ... and ought to be handled as an error." (RFC 9112 6.3)
            if lengths is not None:
                raise HttpError(400, 'both Content-Length and Transfer-Encoding')
            # "A server or client that receives an HTTP/1.0 message containing a
            # Transfer-Encoding header field MUST treat the message as if the framing is
            # faulty" (RFC 9112 6.1)
            if http10:
                raise HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request')
            req.chunked = self._codings(codings)
        elif lengths is not None:
            req.content_length = self._content_length(lengths)

        if http10:
            req.keep_alive = conn_keep_alive and not conn_close
        else:
            req.keep_alive = not conn_close
        # "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST
        # ignore that expectation." (RFC 9110 10.1.1)
        req.expect_continue = expect and not http10
        return req

    @staticmethod
    def _target_form(req):
        target = req.target
        if req.method == b'CONNECT' and b'/' in target:
            # CONNECT takes only the authority-form (RFC 9112 3.2.3): "CONNECT / HTTP/1.1"
            # is an invalid request-line, answered 400 (RFC 9112 3).
            raise HttpError(400, 'CONNECT needs an authority-form target')
        if target[0] == 47:  # '/': origin-form
            rest = target
        elif target == b'*':
            # asterisk-form "is only used for a server-wide OPTIONS request" (RFC 9112 3.2.4)
            if req.method != b'OPTIONS':
                raise HttpError(400, 'asterisk-form is only for OPTIONS')
            req.asterisk = True
            req.path = b'*'
            req.query = b''
            return
        else:
            m = ABSOLUTE_RE.fullmatch(target)
            if m is not None:
                # absolute-form: "the origin server MUST ignore the received Host header
                # field (if any) and instead use the host information of the
                # request-target" (RFC 9112 3.2.2)
                if m.group(1).lower() not in (b'http', b'https') or not m.group(2):
                    raise HttpError(400, 'unsupported absolute-form target')
                # "a recipient SHOULD parse for userinfo and treat its presence as an
                # error" (RFC 9110 4.2.4)
                if b'@' in m.group(2):
                    raise HttpError(400, 'userinfo in the request target')
                rest = m.group(3) or b'/'
                if rest[0] != 47:
                    rest = b'/' + rest
            elif req.method == b'CONNECT':
                # authority-form: accepted so that CONNECT gets its 405 below
                req.path = b''
                req.query = b''
                return
            else:
                raise HttpError(400, 'unsupported request-target form')
        q = rest.find(b'?')
        if q >= 0:
            req.path = rest[:q]
            req.query = rest[q + 1:]
        else:
            req.path = rest
            req.query = b''

    @staticmethod
    def _codings(values):
        codings = []
        for value in values:
            for item in value.split(b','):
                item = item.strip(b' \t').lower()
                if item:
                    codings.append(item)
        if not codings:
            raise HttpError(400, 'empty Transfer-Encoding')
        # "If a Transfer-Encoding header field is present in a request and the chunked
        # transfer coding is not the final encoding, the message body length cannot be
        # determined reliably; the server MUST respond with the 400 (Bad Request) status
        # code and then close the connection." (RFC 9112 6.3)
        if codings[-1] != b'chunked':
            raise HttpError(400, 'chunked is not the final transfer coding')
        # "A sender MUST NOT apply the chunked transfer coding more than once" (RFC 9112 6.1)
        if codings.count(b'chunked') > 1:
            raise HttpError(400, 'chunked applied more than once')
        # "A server that receives a request message with a transfer coding it does not
        # understand SHOULD respond with 501 (Not Implemented)." (RFC 9112 6.1)
        if len(codings) > 1:
            raise HttpError(501, 'unsupported transfer coding')
        return True

    @staticmethod
    def _content_length(values):
        # Content-Length = 1*DIGIT; a list of identical values may be merged into one
        # (RFC 9110 8.6); anything else "MUST treat it as an unrecoverable error"
        # (RFC 9112 6.3).
        seen = None
        for value in values:
            for item in value.split(b','):
                item = item.strip(b' \t')
                if not item or not item.isdigit():
                    raise HttpError(400, 'invalid Content-Length')
                if seen is None:
                    seen = item
                elif item.lstrip(b'0') != seen.lstrip(b'0'):
                    raise HttpError(400, 'conflicting Content-Length values')
        digits = seen.lstrip(b'0')
        if len(digits) > 12:
            raise HttpError(413, 'body too large')
        length = int(digits or b'0')
        if length > MAX_BODY:
            raise HttpError(413, 'body too large')
        return length

    # -- bodies ---------------------------------------------------------------

    def _finish(self):
        req = self.req
        req.body = bytes(self.body)
        self.req = None
        self.body = None
        self.state = HEAD
        return (REQUEST, req)

    def _body_length(self):
        buf = self.buf
        n = self.remaining
        if len(buf) >= n:
            self.body += buf[:n]
            del buf[:n]
            self.remaining = 0
            return self._finish()
        self.remaining -= len(buf)
        self.body += buf
        del buf[:]
        return _NEED

    def _chunked(self):
        buf = self.buf
        while True:
            state = self.state
            if state == CHUNK_SIZE:
                end = buf.find(b'\r\n')
                if end < 0:
                    if b'\n' in buf:
                        raise HttpError(400, 'chunk line not ended by CRLF')
                    if len(buf) > MAX_CHUNK_LINE:
                        raise HttpError(400, 'chunk line too long')
                    return _NEED
                if end > MAX_CHUNK_LINE:
                    raise HttpError(400, 'chunk line too long')
                line = bytes(buf[:end])
                m = CHUNK_LINE_RE.fullmatch(line)
                if m is None:
                    raise HttpError(400, 'malformed chunk size line')
                del buf[:end + 2]
                size = int(m.group(1), 16)
                if size == 0:
                    self.state = TRAILER
                    continue
                if self.body_total + size > MAX_BODY:
                    raise HttpError(413, 'body too large')
                self.body_total += size
                self.remaining = size
                self.state = CHUNK_DATA
            elif state == CHUNK_DATA:
                if not buf:
                    return _NEED
                n = self.remaining
                if len(buf) >= n:
                    self.body += buf[:n]
                    del buf[:n]
                    self.remaining = 0
                    self.state = CHUNK_CRLF
                else:
                    self.remaining -= len(buf)
                    self.body += buf
                    del buf[:]
                    return _NEED
            elif state == CHUNK_CRLF:
                if len(buf) < 2:
                    if buf and buf[0] != 13:
                        raise HttpError(400, 'chunk data not followed by CRLF')
                    return _NEED
                if buf[0] != 13 or buf[1] != 10:
                    raise HttpError(400, 'chunk data not followed by CRLF')
                del buf[:2]
                self.state = CHUNK_SIZE
            else:  # TRAILER: trailer-section CRLF; the fields are read and dropped
                end = buf.find(b'\r\n')
                if end < 0:
                    if b'\n' in buf:
                        raise HttpError(400, 'trailer line not ended by CRLF')
                    if self.trailer_bytes + len(buf) > MAX_TRAILER_SECTION:
                        raise HttpError(431, 'trailer section too large')
                    return _NEED
                if end == 0:
                    del buf[:2]
                    return self._finish()
                line = bytes(buf[:end])
                del buf[:end + 2]
                self.trailer_bytes += end + 2
                if self.trailer_bytes > MAX_TRAILER_SECTION:
                    raise HttpError(431, 'trailer section too large')
                if b'\n' in line or FIELD_RE.fullmatch(line) is None:
                    raise HttpError(400, 'malformed trailer field')


# ---------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------

CONTENT_TYPES = {
    'html': b'text/html; charset=utf-8',
    'htm': b'text/html; charset=utf-8',
    'css': b'text/css; charset=utf-8',
    'js': b'text/javascript; charset=utf-8',
    'mjs': b'text/javascript; charset=utf-8',
    'json': b'application/json',
    'txt': b'text/plain; charset=utf-8',
    'png': b'image/png',
    'jpg': b'image/jpeg',
    'jpeg': b'image/jpeg',
    'gif': b'image/gif',
    'svg': b'image/svg+xml',
    'ico': b'image/x-icon',
    'webp': b'image/webp',
    'bin': b'application/octet-stream',
}
DEFAULT_TYPE = b'application/octet-stream'


def content_type(path):
    dot = path.rfind('.')
    if dot < 0 or '/' in path[dot:]:
        return DEFAULT_TYPE
    return CONTENT_TYPES.get(path[dot + 1:].lower(), DEFAULT_TYPE)


class Site:
    """The resources: files under a root, /echo, and the method rules around them."""

    FILE_CACHE_MAX_ENTRIES = 256
    FILE_CACHE_MAX_BYTES = MAX_BODY

    def __init__(self, root, server_name):
        self.root = os.path.realpath(root)
        self.root_prefix = self.root.rstrip('/') + '/'
        self.server_line = b'Server: ' + server_name.encode('ascii') + b'\r\n'
        self.stopping = False
        # (st_dev, st_ino) -> (mtime_ns, size, ctime_ns, header fields, body, path):
        # an entry is used only while the file's stat still matches it
        self.cache = {}
        self.proc_fd = os.path.isdir('/proc/self/fd')

    # -- building ------------------------------------------------------------

    def _head_bytes(self, status, fields, close, keep_alive_10):
        parts = [b'HTTP/1.1 %d %s\r\n' % (status, REASONS[status].encode('ascii')),
                 self.server_line, b'Date: ', http_date(), b'\r\n']
        parts.extend(fields)
        if close:
            parts.append(b'Connection: close\r\n')
        elif keep_alive_10:
            parts.append(b'Connection: keep-alive\r\n')
        parts.append(b'\r\n')
        return b''.join(parts)

    def error_response(self, err, head_only=False, close=True, keep_alive_10=False):
        """The bytes of an error response. It closes the connection unless the request
        was read whole and its framing is sound (a 404 or 405 on a keep-alive
        connection leaves the next request's boundaries intact)."""
        status = err.status
        head_only = head_only or err.head_request
        body = ('%d %s: %s\n' % (status, REASONS.get(status, 'Error'), err.detail)).encode('utf-8')
        fields = [b'Content-Type: text/plain; charset=utf-8\r\n',
                  b'Content-Length: %d\r\n' % len(body)]
        if err.allow:
            fields.append(b'Allow: ' + err.allow.encode('ascii') + b'\r\n')
        head = self._head_bytes(status, fields, close, keep_alive_10)
        return head if head_only else head + body

    # -- routing -------------------------------------------------------------

    def precheck(self, req):
        """For a request whose body has not been read yet: the error response that can
        be decided from the head alone (sent instead of 100 Continue, then the
        connection closes), or None when the body is to be read."""
        try:
            if req.method == b'POST' and req.path == b'/echo':
                return None
            self._route(req, head_only_check=True)
            return None
        except HttpError as err:
            return self.error_response(err, req.method == b'HEAD')

    def respond(self, req):
        """(response bytes, close) for a complete request."""
        close = self.stopping or not req.keep_alive
        try:
            status_ok, fields, body = self._route(req)
        except HttpError as err:
            # The request was framed and read whole: the connection can go on.
            keep_10 = req.http10 and not close
            return self.error_response(err, req.method == b'HEAD', close, keep_10), close
        head = self._head_bytes(status_ok, fields, close, req.http10 and not close)
        if req.method == b'HEAD' or not body:
            return head, close
        return head + body, close

    def _route(self, req, head_only_check=False):
        method = req.method
        if method not in KNOWN_METHODS:
            # 501 "is the appropriate response when the server does not recognize the
            # request method and is not capable of supporting it for any resource."
            # (RFC 9110 15.6.2). "The method token is case-sensitive" (RFC 9110 9.1),
            # so "get" is an unknown method, not GET.
            raise HttpError(501, 'method not implemented')
        if method == b'OPTIONS':
            # 204 carries no Content-Length: "A server MUST NOT send a Content-Length
            # header field in any response with a status code of 1xx (Informational) or
            # 204 (No Content)" (RFC 9110 8.6).
            return 204, [b'Allow: ' + ALLOW_ALL.encode('ascii') + b'\r\n'], b''
        path = req.path
        if path == b'/echo':
            if method != b'POST':
                raise HttpError(405, 'use POST on /echo', ALLOW_ECHO)
            if head_only_check:
                return None
            body = req.body
            return 200, [b'Content-Type: application/octet-stream\r\n',
                         b'Content-Length: %d\r\n' % len(body)], body
        if method not in (b'GET', b'HEAD'):
            raise HttpError(405, 'this resource is read-only', ALLOW_FILES)
        return self._serve_file(path, req)

    # -- files ---------------------------------------------------------------

    def resolve(self, raw_path):
        """Request path bytes -> (absolute file system path inside the root, unchecked
        for symlinks; whether the path names a directory by its trailing slash).
        Raises 403 for anything that could address outside the root."""
        if b'%' in raw_path:
            if BAD_PCT_RE.search(raw_path) is not None:
                raise HttpError(400, 'malformed percent-encoding')
            # An encoded slash would be a separator the URI did not have.
            if ENCODED_SLASH_RE.search(raw_path) is not None:
                raise HttpError(403, 'encoded slash in path')
            decoded = unquote_to_bytes(raw_path)
        else:
            decoded = raw_path
        if b'\x00' in decoded or b'\\' in decoded:
            raise HttpError(403, 'forbidden character in path')
        try:
            # strict UTF-8 refuses overlong forms such as %c0%ae ('.')
            text = decoded.decode('utf-8')
        except UnicodeDecodeError:
            raise HttpError(403, 'path is not valid UTF-8')
        segments = []
        for seg in text.split('/'):
            if seg == '' or seg == '.':
                continue
            if seg == '..':
                if not segments:
                    raise HttpError(403, 'path escapes the root')
                segments.pop()
            else:
                segments.append(seg)
        if not segments:
            return self.root, True
        return self.root_prefix + '/'.join(segments), text.endswith('/')

    def _open_inside(self, path):
        """Open a path, refusing anything whose real location is outside the root."""
        try:
            # O_NONBLOCK: opening a FIFO placed under the root must not hang the server.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise HttpError(404, 'no such file')
        except PermissionError:
            raise HttpError(403, 'permission denied')
        except OSError:
            raise HttpError(404, 'no such file')
        try:
            if self.proc_fd:
                real = os.readlink('/proc/self/fd/%d' % fd)
            else:
                real = os.path.realpath(path)
        except OSError:
            real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root_prefix):
            os.close(fd)
            raise HttpError(404, 'no such file')
        return fd

    def _serve_file(self, raw_path, req):
        path, dir_only = self.resolve(raw_path)
        fd = self._open_inside(path)
        try:
            st = os.fstat(fd)
            if dir_only and not stat.S_ISDIR(st.st_mode):
                raise HttpError(404, 'not a directory')
            if stat.S_ISDIR(st.st_mode):
                os.close(fd)
                fd = -1
                path = path.rstrip('/') + '/index.html'
                fd = self._open_inside(path)
                st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise HttpError(404, 'not a regular file')
            key = (st.st_dev, st.st_ino)
            entry = self.cache.get(key)
            if (entry is not None and entry[0] == st.st_mtime_ns and entry[1] == st.st_size
                    and entry[2] == st.st_ctime_ns and entry[5] == path):
                return self._conditional(req, entry[3], entry[4], entry[6], path)
            body = self._read_all(fd, st.st_size)
        finally:
            if fd >= 0:
                os.close(fd)
        # ETag, Last-Modified and Accept-Ranges come from the stat already taken.
        validators = cond.Validators(len(body), st.st_mtime_ns)
        fields = [b'Content-Type: ' + content_type(path) + b'\r\n',
                  b'Content-Length: %d\r\n' % len(body)] + [f + b'\r\n' for f in validators.fields]
        if len(body) <= self.FILE_CACHE_MAX_BYTES and len(body) == st.st_size:
            if len(self.cache) >= self.FILE_CACHE_MAX_ENTRIES:
                self.cache.clear()
            self.cache[key] = (st.st_mtime_ns, st.st_size, st.st_ctime_ns, fields, body, path, validators)
        return self._conditional(req, fields, body, validators, path)

    @staticmethod
    def _conditional(req, fields, body, validators, path):
        """The 200 of a file, or what its preconditions and Range make of it (RFC 9110
        13.2.2, 14.2; gauntlet_conditional.py). A request without such fields costs one scan."""
        if req is None:
            return 200, fields, body
        headers = cond.conditional_headers(req.headers)
        if headers is None:
            return 200, fields, body
        method = req.method.decode('latin1')
        verdict = cond.preconditions(headers, method, validators)
        if verdict == 'failed':
            raise HttpError(412, 'precondition failed')
        if verdict == 'not-modified':
            # A 304 keeps the validators and no content, nor Content-Length (RFC 9110 15.4.5).
            return 304, fields[2:4], b''
        ranges = cond.byterange_plan(headers, method, validators, len(body))
        if ranges is None:
            return 200, fields, body
        size = len(body)
        if not ranges:
            text = b'416 Range Not Satisfiable\n'
            return 416, [b'Content-Range: bytes */%d\r\n' % size, b'Content-Type: text/plain; charset=utf-8\r\n',
                         b'Content-Length: %d\r\n' % len(text)], text
        if len(ranges) == 1:
            first, last = ranges[0]
            part = body[first:last + 1]
            return 206, [fields[0], b'Content-Length: %d\r\n' % len(part),
                         cond.content_range(first, last, size) + b'\r\n'] + fields[2:], part
        content, ctype = cond.multipart(ranges, body, content_type(path), size)
        return 206, [b'Content-Type: ' + ctype + b'\r\n', b'Content-Length: %d\r\n' % len(content)] + fields[2:], content

    @staticmethod
    def _read_all(fd, size):
        chunks = []
        total = 0
        want = size if size > 0 else 65536
        while True:
            chunk = os.read(fd, max(want - total, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return chunks[0] if len(chunks) == 1 else b''.join(chunks)
