// Only in builds with ONCE_SANITIZE=thread: librdkafka makes its threads,
// mutexes and condition variables with C11's thrd_create, mtx_lock, cnd_wait.
// glibc implements those by calling its pthread functions internally, past
// ThreadSanitizer's interceptors, so TSan never learns of librdkafka's
// threads (it crashes on the first intercepted call from one) nor of their
// locks (it would report races that those locks prevent). Defined here, in
// the executable, these take precedence over glibc's and go through the
// intercepted pthread functions, as glibc's own do but visibly.
#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <new>

namespace {

int c11_result(int pthread_result) {
  switch (pthread_result) {
    case 0:
      return thrd_success;
    case EBUSY:
      return thrd_busy;
    case ETIMEDOUT:
      return thrd_timedout;
    case ENOMEM:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

struct c11_start {
  thrd_start_t function;
  void* argument;
};

void* run_c11_start(void* given) {
  auto const start = *static_cast<c11_start*>(given);
  delete static_cast<c11_start*>(given);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(start.function(start.argument)));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = new (std::nothrow) c11_start{function, argument};
  if (start == nullptr) return thrd_nomem;
  pthread_t created;
  int const result = pthread_create(&created, nullptr, run_c11_start, start);
  if (result != 0) {
    delete start;
    return c11_result(result);
  }
  *thread = created;
  return thrd_success;
}

int thrd_join(thrd_t thread, int* returned) {
  void* value = nullptr;
  int const result = pthread_join(thread, &value);
  if (result == 0 && returned != nullptr) *returned = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
  return c11_result(result);
}

int thrd_detach(thrd_t thread) {
  return c11_result(pthread_detach(thread));
}

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  int const result = pthread_mutex_init(reinterpret_cast<pthread_mutex_t*>(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return c11_result(result);
}

int mtx_lock(mtx_t* mutex) {
  return c11_result(pthread_mutex_lock(reinterpret_cast<pthread_mutex_t*>(mutex)));
}

int mtx_trylock(mtx_t* mutex) {
  return c11_result(pthread_mutex_trylock(reinterpret_cast<pthread_mutex_t*>(mutex)));
}

int mtx_timedlock(mtx_t* mutex, timespec const* until) {
  return c11_result(pthread_mutex_timedlock(reinterpret_cast<pthread_mutex_t*>(mutex), until));
}

int mtx_unlock(mtx_t* mutex) {
  return c11_result(pthread_mutex_unlock(reinterpret_cast<pthread_mutex_t*>(mutex)));
}

void mtx_destroy(mtx_t* mutex) {
  pthread_mutex_destroy(reinterpret_cast<pthread_mutex_t*>(mutex));
}

int cnd_init(cnd_t* condition) {
  return c11_result(pthread_cond_init(reinterpret_cast<pthread_cond_t*>(condition), nullptr));
}

int cnd_signal(cnd_t* condition) {
  return c11_result(pthread_cond_signal(reinterpret_cast<pthread_cond_t*>(condition)));
}

int cnd_broadcast(cnd_t* condition) {
  return c11_result(pthread_cond_broadcast(reinterpret_cast<pthread_cond_t*>(condition)));
}

int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return c11_result(
      pthread_cond_wait(reinterpret_cast<pthread_cond_t*>(condition), reinterpret_cast<pthread_mutex_t*>(mutex)));
}

int cnd_timedwait(cnd_t* condition, mtx_t* mutex, timespec const* until) {
  return c11_result(pthread_cond_timedwait(reinterpret_cast<pthread_cond_t*>(condition),
                                           reinterpret_cast<pthread_mutex_t*>(mutex), until));
}

void cnd_destroy(cnd_t* condition) {
  pthread_cond_destroy(reinterpret_cast<pthread_cond_t*>(condition));
}

void call_once(once_flag* flag, void (*function)()) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), function);
}

}  // extern "C"
