"""Validators, conditional requests and byte ranges of static files (RFC 9110 8.8, 13, 14).

Pure functions over header values, a file's size and its modification time: no I/O, so
that the Python reference servers and the broken-server control in fixtures/broken/_base
decide alike. The order of evaluation is RFC 9110 13.2.2:

  1. If-Match (strong comparison) -> 412 when false,
     else If-Unmodified-Since -> 412 when the file changed after the date;
  2. If-None-Match (weak comparison) -> 304 when false,
     else If-Modified-Since (GET and HEAD) -> 304 when not changed since the date;
  3. Range, for GET only, after If-Range -> 206, 416, or the whole file (200).

Range policy, as nginx has it: a set of ranges whose lengths add up to more than the file
is answered 200 with the whole file (RFC 9110 14.2: a server "MAY ignore or reject a Range
header field that contains ... a ranges-specifier with more than two overlapping ranges"),
so a response is never much larger than the file however many ranges are asked for.
Ranges are neither coalesced nor reordered: the parts follow the order of the request.
"""

import calendar
import os
import re
import time

_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_LONG_DAYS = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
_MONTH = '(' + '|'.join(_MONTHS) + ')'
_TIME = r'(\d{2}):(\d{2}):(\d{2})'
# The three HTTP-date forms (RFC 9110 5.6.7): "A recipient that parses a timestamp value in
# an HTTP field MUST accept all three HTTP-date formats."
_IMF = re.compile(r'(?:' + '|'.join(_DAYS) + r'), (\d{2}) ' + _MONTH + r' (\d{4}) ' + _TIME + ' GMT')
_RFC850 = re.compile(r'(?:' + '|'.join(_LONG_DAYS) + r'), (\d{2})-' + _MONTH + r'-(\d{2}) ' + _TIME + ' GMT')
_ASCTIME = re.compile(r'(?:' + '|'.join(_DAYS) + r') ' + _MONTH + r' ([ \d]\d) ' + _TIME + r' (\d{4})')
_BYTES = re.compile(r'bytes=(.*)', re.IGNORECASE | re.DOTALL)
_SPEC = re.compile(r'(\d*)-(\d*)')
_ETAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')

# The separator of multipart/byteranges parts: random per process, so that no file served
# is likely to contain it.
BOUNDARY = 'gauntlet-' + os.urandom(8).hex()


def _timestamp(year, month_name, day, hour, minute, second):
    month = _MONTHS.index(month_name) + 1
    day, hour, minute, second = int(day), int(hour), int(minute), int(second)
    if not (1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60 and second <= 60):
        return None
    return calendar.timegm((year, month, day, hour, minute, min(second, 59)))


def parse_http_date(value, now=None):
    """Seconds since the epoch of an HTTP-date in any of its three forms, or None."""
    value = value.strip(' \t')
    m = _IMF.fullmatch(value)
    if m:
        return _timestamp(int(m.group(3)), m.group(2), m.group(1), m.group(4), m.group(5), m.group(6))
    m = _RFC850.fullmatch(value)
    if m:
        # "Recipients of a timestamp value in rfc850-date format, which uses a two-digit year,
        # MUST interpret a timestamp that appears to be more than 50 years in the future as
        # representing the most recent year in the past that had the same last two digits."
        this_year = time.gmtime(now).tm_year
        year = this_year - this_year % 100 + int(m.group(3))
        if year > this_year + 50:
            year -= 100
        return _timestamp(year, m.group(2), m.group(1), m.group(4), m.group(5), m.group(6))
    m = _ASCTIME.fullmatch(value)
    if m:
        return _timestamp(int(m.group(6)), m.group(1), m.group(2).strip(), m.group(3), m.group(4), m.group(5))
    return None


def http_date(seconds):
    return time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(seconds))


class Validators:
    """A file's strong ETag and Last-Modified, from the stat the server already took."""

    __slots__ = ('etag', 'last_modified', 'modified_s', 'fields')

    def __init__(self, size, mtime_ns, now=None):
        now = time.time() if now is None else now
        # Size and modification time in microseconds, in hex: the form Apache uses. It changes
        # whenever the file is rewritten, so it is a strong validator for a static file.
        self.etag = '"%x-%x"' % (size, mtime_ns // 1000)
        # "An origin server with a clock ... MUST NOT generate a Last-Modified date that is
        # later than the server's time of message origination" (RFC 9110 8.8.2.1).
        self.modified_s = min(mtime_ns // 1000000000, int(now))
        self.last_modified = http_date(self.modified_s)
        self.fields = [('ETag: ' + self.etag).encode('ascii'),
                       ('Last-Modified: ' + self.last_modified).encode('ascii'),
                       b'Accept-Ranges: bytes']


def parse_etags(value):
    """'*', a list of (weak, opaque-tag) pairs, or None when the value is not that syntax."""
    value = value.strip(' \t')
    if value == '*':
        return '*'
    tags = []
    for item in value.split(','):
        item = item.strip(' \t')
        if not item:
            continue  # empty list elements are allowed (RFC 9110 5.6.1)
        m = _ETAG.fullmatch(item)
        if m is None:
            return None
        tags.append((m.group(1) is not None, m.group(2)))
    return tags or None


def _opaque(etag):
    return etag[etag.index('"') + 1:-1]


def if_match_passes(value, etag):
    """If-Match uses the strong comparison (RFC 9110 13.1.1): a weak tag never matches."""
    tags = parse_etags(value)
    if tags == '*':
        return True
    if tags is None:
        return False
    opaque = _opaque(etag)
    return any(not weak and tag == opaque for weak, tag in tags)


def if_none_match_passes(value, etag):
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2); '*' fails on an existing file."""
    tags = parse_etags(value)
    if tags == '*':
        return False
    if tags is None:
        return True
    opaque = _opaque(etag)
    return not any(tag == opaque for _, tag in tags)


def preconditions(headers, method, validators, now=None):
    """'ok', 'not-modified' (304) or 'failed' (412), in the order of RFC 9110 13.2.2.
    `headers` maps lower-case names to values (repeated fields joined with ", ")."""
    if_match = headers.get('if-match')
    if if_match is not None:
        if not if_match_passes(if_match, validators.etag):
            return 'failed'
    else:
        since = headers.get('if-unmodified-since')
        if since is not None:
            # An invalid date (a list of dates included) is ignored (RFC 9110 13.1.4).
            t = parse_http_date(since, now)
            if t is not None and validators.modified_s > t:
                return 'failed'
    if_none_match = headers.get('if-none-match')
    if if_none_match is not None:
        if not if_none_match_passes(if_none_match, validators.etag):
            return 'not-modified' if method in ('GET', 'HEAD') else 'failed'
    elif method in ('GET', 'HEAD'):
        # If-Modified-Since only without If-None-Match, and only for GET and HEAD (13.1.3).
        since = headers.get('if-modified-since')
        if since is not None:
            t = parse_http_date(since, now)
            if t is not None and validators.modified_s <= t:
                return 'not-modified'
    return 'ok'


def if_range_passes(value, validators, now=None):
    """RFC 9110 13.1.5: an entity-tag by strong comparison, or a date equal to Last-Modified
    when that date is a strong validator (at least a second before now)."""
    value = value.strip(' \t')
    if value.startswith('"') or value.startswith('W/'):
        m = _ETAG.fullmatch(value)
        return m is not None and m.group(1) is None and m.group(2) == _opaque(validators.etag)
    t = parse_http_date(value, now)
    now = time.time() if now is None else now
    return t is not None and t == validators.modified_s and validators.modified_s < int(now)


# A position of more digits than this is past any file; int() is not asked to read it, since
# Python refuses to convert more than 4300 digits (ValueError) and a Range value may hold
# thousands. The same cap as the Node servers (conditional.ts, decimal), with the same result.
_MAX_DIGITS = 15
_BEYOND_ANY_FILE = 2 ** 53 - 1


def _decimal(digits):
    """A decimal of any length as an int: digits past _MAX_DIGITS only mean "beyond any file"."""
    return _BEYOND_ANY_FILE if len(digits) > _MAX_DIGITS else int(digits)


def parse_ranges(value, size):
    """The (first, last) byte pairs a Range value selects, inclusive, in the order given.
    None: ignore the field (not bytes, invalid syntax, or more bytes than the file);
    []: valid but unsatisfiable (416)."""
    m = _BYTES.fullmatch(value.strip(' \t'))
    if m is None:
        return None  # "An origin server MUST ignore a Range header field that contains a range unit it does not understand"
    ranges = []
    total = 0
    seen = False
    for item in m.group(1).split(','):
        item = item.strip(' \t')
        if not item:
            continue
        seen = True
        spec = _SPEC.fullmatch(item)
        if spec is None or (spec.group(1) == '' and spec.group(2) == ''):
            return None
        first, last = spec.group(1), spec.group(2)
        if first == '':
            # suffix-range: the last N bytes; the whole file when it is shorter than N
            n = _decimal(last)
            if n == 0 or size == 0:
                continue
            pair = (max(0, size - n), size - 1)
        else:
            start = _decimal(first)
            if last != '' and _decimal(last) < start:
                return None  # "An int-range is invalid if the last-pos value is present and less than the first-pos."
            if start >= size:
                continue
            pair = (start, size - 1 if last == '' else min(_decimal(last), size - 1))
        ranges.append(pair)
        total += pair[1] - pair[0] + 1
    if not seen:
        return None
    if total > size:
        return None
    return ranges


def byterange_plan(headers, method, validators, size, now=None):
    """None for a full response, [] for 416, or the ranges of a 206 (GET only)."""
    value = headers.get('range')
    # "GET is the only method for which range handling is defined" (RFC 9110 14.2).
    if value is None or method != 'GET' or size == 0:
        return None
    if_range = headers.get('if-range')
    if if_range is not None and not if_range_passes(if_range, validators, now):
        return None
    return parse_ranges(value, size)


def content_range(first, last, size):
    return b'Content-Range: bytes %d-%d/%d' % (first, last, size)


def multipart(ranges, body, ctype, size):
    """The content of a multipart/byteranges response (RFC 9110 14.6) and its Content-Type."""
    parts = []
    for first, last in ranges:
        parts.append(b'\r\n--' + BOUNDARY.encode('ascii') + b'\r\nContent-Type: ' + ctype + b'\r\n' +
                     content_range(first, last, size) + b'\r\n\r\n' + body[first:last + 1])
    parts.append(b'\r\n--' + BOUNDARY.encode('ascii') + b'--\r\n')
    return b''.join(parts), b'multipart/byteranges; boundary=' + BOUNDARY.encode('ascii')


# The lower-case names this module reads, as the parser gives them.
_READ_FIELDS = frozenset((b'if-match', b'if-none-match', b'if-modified-since', b'if-unmodified-since',
                          b'if-range', b'range'))


def conditional_headers(headers):
    """The fields of a request this module reads, lower-case name -> str value (repeated
    fields joined with ", "), or None when there is none: the common case costs one set
    lookup per field, on the lower-case name the parser already made."""
    found = None
    for name, value in headers:
        if name in _READ_FIELDS:
            if found is None:
                found = {}
            key = name.decode('latin1')
            text = value.decode('latin1')
            found[key] = found[key] + ', ' + text if key in found else text
    return found
