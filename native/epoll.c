/*
 * Plain TCP connections driven by one epoll set, for the load engine's close and keep-alive modes
 * (lib/load/epoll-transport.ts). Node's own TCP handles cost, per connection, a C++ object, two
 * request objects and three calls from libuv into JavaScript (connect, read, end); ab costs none
 * of that, and on a two-core machine whose other core runs the server that CPU is the client's
 * request rate. Here a connection is a file descriptor: JavaScript opens, writes, reads and closes
 * it with direct calls, and one call into JavaScript hands over every ready connection at once.
 *
 * The epoll set is watched by a uv_poll_t on node's loop, so timers, aborts and other I/O go on as
 * usual. Every socket is registered edge-triggered for input and output at connect: the reader
 * drains a connection until EAGAIN, and no epoll_ctl is needed between connecting and reading.
 * The poll is referenced only while a connection is open, so an idle process can exit. When node's
 * environment ends (the process, or a worker thread), the connections still open are closed and
 * the poll with them, while the loop still runs.
 *
 * Linux only. Built by scripts/build-native.mjs at install; without it the engine uses node's TCP
 * handles.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define MAX_EVENTS 256
/* What lib/load/epoll-transport.ts checks on load, so that a module built from older source is not used. */
#define ABI_VERSION 2

typedef struct {
  int epfd;
  uv_poll_t poll;
  int poll_started;
  int open;                 /* connections open: the poll keeps the loop alive only while > 0 */
  uint8_t *is_open;         /* by fd: opened here and not closed yet (closed at teardown) */
  int is_open_len;
  napi_async_cleanup_hook_handle hook;
  napi_env env;
  napi_ref on_ready;        /* JavaScript's dispatcher: onReady(count) */
  napi_ref resource;
  napi_async_context context;
  napi_ref events_ref;      /* Int32Array of [fd, id, events] triples */
  int32_t *events;
  napi_ref read_ref;        /* the Buffer every read lands in */
  uint8_t *read_buf;
  size_t read_len;
  struct epoll_event ready[MAX_EVENTS];
} state_t;

#define CHECK(call)                                                                                 \
  do {                                                                                              \
    if ((call) != napi_ok) {                                                                        \
      napi_throw_error(env, NULL, "epoll.node: " #call " failed");                                  \
      return NULL;                                                                                  \
    }                                                                                               \
  } while (0)

static state_t *get_state(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return (state_t *)data;
}

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  state_t *s = (state_t *)handle->data;
  int n = epoll_wait(s->epfd, s->ready, MAX_EVENTS, 0);
  if (n <= 0) return;
  for (int i = 0; i < n; i++) {
    uint64_t d = s->ready[i].data.u64;
    s->events[3 * i] = (int32_t)(d & 0xffffffffu);
    s->events[3 * i + 1] = (int32_t)(d >> 32);
    s->events[3 * i + 2] = (int32_t)s->ready[i].events;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg = num(env, n), result;
  napi_get_reference_value(env, s->on_ready, &fn);
  napi_get_reference_value(env, s->resource, &recv);
  if (napi_make_callback(env, s->context, recv, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

/* Records fd as open (the first one keeps node's loop alive); 0, or -ENOMEM. */
static int track_open(state_t *s, int fd) {
  if (fd >= s->is_open_len) {
    int len = s->is_open_len ? s->is_open_len : 1024;
    while (len <= fd) len *= 2;
    uint8_t *grown = realloc(s->is_open, (size_t)len);
    if (grown == NULL) return -ENOMEM;
    memset(grown + s->is_open_len, 0, (size_t)(len - s->is_open_len));
    s->is_open = grown;
    s->is_open_len = len;
  }
  s->is_open[fd] = 1;
  if (s->open++ == 0) uv_ref((uv_handle_t *)&s->poll);
  return 0;
}

/* Forgets fd (the last one lets node's loop end); false when it was not open here. */
static bool track_close(state_t *s, int fd) {
  if (fd < 0 || fd >= s->is_open_len || !s->is_open[fd]) return false;
  s->is_open[fd] = 0;
  if (--s->open == 0) uv_unref((uv_handle_t *)&s->poll);
  return true;
}

static void on_cleanup(napi_async_cleanup_hook_handle handle, void *arg);

/* init(onReady, events: Int32Array, readBuffer: Buffer): starts watching the epoll set. */
static napi_value js_init(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  state_t *s = get_state(env);
  if (s->poll_started) {
    napi_throw_error(env, NULL, "epoll.node: init called twice");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL));
  if (type != napi_int32_array || length < 3 * MAX_EVENTS) {
    napi_throw_type_error(env, NULL, "epoll.node: events must be an Int32Array of 768 or more");
    return NULL;
  }
  s->events = (int32_t *)data;
  CHECK(napi_get_buffer_info(env, argv[2], &data, &length));
  s->read_buf = (uint8_t *)data;
  s->read_len = length;
  CHECK(napi_create_reference(env, argv[0], 1, &s->on_ready));
  CHECK(napi_create_reference(env, argv[1], 1, &s->events_ref));
  CHECK(napi_create_reference(env, argv[2], 1, &s->read_ref));
  napi_value resource, name;
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_reference(env, resource, 1, &s->resource));
  CHECK(napi_create_string_utf8(env, "GAUNTLET_EPOLL", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &s->context));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  s->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s->epfd < 0) return num(env, -errno);
  if (uv_poll_init(loop, &s->poll, s->epfd) != 0) return num(env, -EINVAL);
  s->poll.data = s;
  uv_poll_start(&s->poll, UV_READABLE, on_poll);
  uv_unref((uv_handle_t *)&s->poll);
  s->poll_started = 1;
  /* Torn down with node's environment (a worker thread's too): the poll must be closed while the
     loop still runs, before this module is unloaded. */
  CHECK(napi_add_async_cleanup_hook(env, on_cleanup, s, &s->hook));
  return num(env, 0);
}

/*
 * connect(address, port, id, noDelay): a non-blocking socket connecting to address:port (IPv4 or
 * IPv6), registered under `id`. Returns the fd, or -errno.
 */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  state_t *s = get_state(env);
  char address[64];
  size_t len;
  int32_t port, id;
  bool no_delay;
  CHECK(napi_get_value_string_utf8(env, argv[0], address, sizeof address, &len));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_int32(env, argv[2], &id));
  CHECK(napi_get_value_bool(env, argv[3], &no_delay));
  struct sockaddr_storage sa;
  socklen_t salen;
  memset(&sa, 0, sizeof sa);
  struct sockaddr_in *in4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    salen = sizeof *in4;
  } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    salen = sizeof *in6;
  } else {
    return num(env, -EINVAL);
  }
  int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  if (no_delay) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (connect(fd, (struct sockaddr *)&sa, salen) < 0 && errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return num(env, -err);
  }
  struct epoll_event ev;
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd;
  int err = epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : track_open(s, fd);
  if (err < 0) {
    close(fd);
    return num(env, err);
  }
  return num(env, fd);
}

/* The fd given as a function's only argument; false (an exception pending) when it is not one. */
static bool fd_arg(napi_env env, napi_callback_info info, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "epoll.node: expected a file descriptor");
    return false;
  }
  return true;
}

/* socketError(fd): the pending error of a socket (a failed connect's errno), as -errno, or 0. */
static napi_value js_socket_error(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, &fd)) return NULL;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  return num(env, -err);
}

/* write(fd, buffer, offset): bytes written from buffer[offset..], or -errno (-EAGAIN when full). */
static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, offset;
  void *data;
  size_t length;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_buffer_info(env, argv[1], &data, &length));
  CHECK(napi_get_value_int32(env, argv[2], &offset));
  if (offset < 0 || (size_t)offset > length) return num(env, -EINVAL);
  ssize_t n;
  do n = send(fd, (uint8_t *)data + offset, length - (size_t)offset, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return num(env, n < 0 ? -errno : (double)n);
}

/* read(fd): bytes read into the read buffer (0 at EOF), or -errno (-EAGAIN when nothing is there). */
static napi_value js_read(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, &fd)) return NULL;
  state_t *s = get_state(env);
  ssize_t n;
  do n = read(fd, s->read_buf, s->read_len);
  while (n < 0 && errno == EINTR);
  return num(env, n < 0 ? -errno : (double)n);
}

/* close(fd): closes a connection opened here (which leaves the epoll set with it); -EBADF for another fd. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!fd_arg(env, info, &fd)) return NULL;
  state_t *s = get_state(env);
  if (!track_close(s, fd)) return num(env, -EBADF);
  return num(env, close(fd) < 0 ? -errno : 0);
}

static void on_poll_closed(uv_handle_t *handle) {
  state_t *s = (state_t *)handle->data;
  napi_remove_async_cleanup_hook(s->hook);
  free(s->is_open);
  free(s);
}

/* The environment ends: every connection still open is closed, then the poll and the epoll set. */
static void on_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  state_t *s = (state_t *)arg;
  for (int fd = 0; fd < s->is_open_len; fd++)
    if (s->is_open[fd]) close(fd);
  uv_poll_stop(&s->poll);
  close(s->epfd);
  uv_close((uv_handle_t *)&s->poll, on_poll_closed);
}

NAPI_MODULE_INIT() {
  state_t *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->env = env;
  s->epfd = -1;
  /* No finalizer: once init ran, on_cleanup frees the state after the poll is closed, which may be
     after node finalizes instance data; a module loaded without init keeps its few KB. */
  if (napi_set_instance_data(env, s, NULL, NULL) != napi_ok) return NULL;
  napi_value version;
  if (napi_create_int32(env, ABI_VERSION, &version) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"version", NULL, NULL, NULL, NULL, version, napi_enumerable, NULL},
      {"init", NULL, js_init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketError", NULL, js_socket_error, NULL, NULL, NULL, napi_enumerable, NULL},
      {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
      {"read", NULL, js_read, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
