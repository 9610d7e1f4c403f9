;; Tasks and subtasks of calls between inner components, as wasmtime 48
;; runs them (docs/async-semantics.md §3-§7).
;;
;; A call from instance A to instance B other than sync-to-sync makes a
;; task T for B, on a scheduler task of its own (same number), queued with
;; high priority (wasmtime's StartImplicit); the caller suspends. T starts
;; when B is not locked and its backpressure is 0; else T is parked on B
;; (its caller sees STARTING, once) until B is released. Starting, the
;; generated entry lowers the parameters into B, T's event becomes STARTED
;; and B's core function runs. The caller resumes after T's first
;; suspension (it was queued behind it) and takes T's latest event:
;; RETURNED gives 2; else an async caller gets `status | handle << 4`, the
;; handle made now in A's table; a sync caller waits for RETURNED.
;;
;; The generated code per call site (adapters) does the typed parts:
;;   caller:  T = begin(A, B, kind, entry); store raw arguments; then
;;            async: await_call(T), suspend, return call_result(T);
;;            sync:  while call_sync_pending(T) { suspend }, results
;;   wait:    check_blocking; loop { take, else await + suspend }; the
;;            cancellable one first takes a pending CANCELLED (`take_cancel`,
;;            event 6) and marks its suspension (`wait_cancellable`)
;;   entry:   phase = enter(T); 0: return; 1: lower parameters, started(T),
;;            call B's core function; 2: call B's callback with
;;            (event, p1, p2); then, callback-lifted: `callback_code(T, code)`;
;;            sync-lifted: lower results into A, post-return, `exit_sync(T)`
;;   task.return (generated per import): lower results into A, returned(T)
;;
;; Memory (this module's own; all u32):
;;   0            bump pointer of the chunks of tasks and the pool of bells
;;   4            number of chunks of tasks made
;;   8, 12        the pool of bells: where it lies, how many it holds
;;   16..24       where the host writes an event of the fused component's
;;                  waitable set (generated code: `HOST_EVENT_AT`)
;;   24, 28       the map from the host's subtasks (the fused component's
;;                  handles) to their tasks: where it lies, how many
;;                  handles it holds (`host_entry`)
;;   32           the first of the root tasks' records (caller -1), which
;;                  are linked in task order through their word 192
;;                  (`root_link`; a record is one until its number is
;;                  begun again)
;;   36, 40       the instances from 1,024 on (as INSTANCES): where they
;;                  lie, how many the table holds (`inst`; it moves to
;;                  one twice as large to take a larger number)
;;   512..1016    the pool at first, 42 bells of 12 bytes (readable,
;;                  writable, set) of root tasks that exited; a full pool
;;                  moves to one twice as large
;;   1024..       DIR: per chunk of 4,096 tasks, where it lies, less 256
;;                  bytes times its first task's number (task n is at
;;                  DIR[n >> 12] + 256 n); chunk 0 is CHUNK0, the others
;;                  are made as the scheduler numbers tasks (tasks never
;;                  move: callers keep their addresses)
;;   INSTANCES..  per instance, 16 bytes: 0 locked, 4 backpressure,
;;                  8 first parked task (in task order), 12 the last one
;;                  (0: none); the first 1,024 instances (the others at 36)
;;   CHUNK0..     per task (the scheduler's number), 256 bytes:
;;                  0 flags (below), 4 callee instance, 8 caller instance
;;                  (-1: the host), 12 the caller's scheduler task,
;;                  16 the subtask waitable (waitables' record),
;;                  20 task-level event (0 none, 1 NONE, 2 CANCELLED),
;;                  24 the set a callback waits on (record), 28 next parked
;;                  task of the callee, 32.. raw arguments (16 × i64),
;;                  160 the task's return half (an index into the
;;                  scheduler's `entries`, which `task.return` calls),
;;                  168 and 176 two words for the generated host entries
;;                  (a root task waiting for its call's turn; `ran` then),
;;                  184 the scope of the borrowed handles it was given + 1,
;;                  192 a host subtask's handle in the fused component's
;;                  table (the host's), or a root task's next root task,
;;                  196 which generated function
;;                  moves its result's pointers (0: none), 200 its return
;;                  pointer, 204 its staged result in meld's memory (0:
;;                  none); a root task's bell (generated
;;                  code, `argument` 21 to 24): 200 its readable end, 208
;;                  its writable end, 216 its own waitable set, 224 how
;;                  it waits (0: it does not, 1 on its set, 2 on the
;;                  host's set); 232 a 17th raw argument (a sync
;;                  lower's return pointer after 16 flat parameters);
;;                  240 a root task's count of reads made in its turns
;;                  still pending at the host (generated code,
;;                  `argument` 26), 248 whether it had its first turn,
;;                  alone (`argument` 27)
(module
  (import "scheduler" "spawn" (func $spawn (param i32 i32) (result i32)))
  (import "scheduler" "wake" (func $wake (param i32 i32 i32)))
  (import "scheduler" "idle" (func $idle))
  (import "scheduler" "finish" (func $finish (param i32)))
  (import "scheduler" "queued_fresh" (func $queued_fresh (param i32) (result i32)))
  (import "scheduler" "orphan" (func $orphan (param i32)))
  (import "scheduler" "promote" (func $promote (param i32)))
  (import "scheduler" "current" (global $current (mut i32)))
  (import "w" "waitable_new" (func $waitable_new (param i32) (result i32)))
  (import "w" "host_waitable_new" (func $host_waitable_new (param i32) (result i32)))
  (import "w" "bind" (func $bind (param i32) (result i32)))
  (import "w" "set_event" (func $set_event (param i32 i32 i32)))
  (import "w" "take_one" (func $take_one (param i32) (result i32)))
  (import "w" "await_one" (func $await_one (param i32)))
  (import "w" "has_event" (func $has_event (param i32) (result i32)))
  (import "w" "set" (func $set (param i32 i32) (result i32)))
  (import "w" "set_ready" (func $set_ready (param i32) (result i32)))
  (import "w" "await_record" (func $await_record (param i32)))
  (import "w" "take_record" (func $take_record (param i32) (result i32)))
  (import "w" "subtask" (func $subtask (param i32 i32) (result i32)))
  (import "w" "join" (func $join (param i32 i32 i32)))
  (import "w" "waitable_free" (func $waitable_free (param i32)))
  (import "w" "unawait" (func $unawait (param i32) (result i32)))
  (import "w" "set_of" (func $set_of (param i32) (result i32)))
  (import "w" "task_room" (func $task_room (param i32)))
  (import "w" "tie" (func $tie (param i32 i32)))
  (import "w" "tied" (func $tied (param i32) (result i32)))
  (import "w" "p1" (global $p1 (mut i32)))
  (import "w" "p2" (global $p2 (mut i32)))
  (import "tables" "remove" (func $remove (param i32 i32)))
  (import "tables" "gate" (func $gate (param i32 i32)))

  (memory (export "memory") 17)
  ;; the event `enter` hands to a callback
  (global $code (export "code") (mut i32) (i32.const 0))

  ;; flags
  (global $STARTED i32 (i32.const 1))
  (global $RETURNED i32 (i32.const 2))        ;; returned or cancelled
  (global $CANCEL_SENT i32 (i32.const 4))
  (global $STARTING_SENT i32 (i32.const 8))
  (global $ASYNC_TYPE i32 (i32.const 16))     ;; the callee's type is async
  (global $CALLBACK i32 (i32.const 32))       ;; lifted async with a callback
  (global $STACKFUL i32 (i32.const 64))       ;; lifted async without one
  (global $EXITED i32 (i32.const 128))
  (global $PARKED i32 (i32.const 256))
  (global $CANCELLED i32 (i32.const 512))     ;; ended by task.cancel
  (global $WAIT_CANCELLABLE i32 (i32.const 1024)) ;; its stack waits, cancellably
  (global $HOST i32 (i32.const 2048))         ;; an async call of the host
  (global $YIELD_CANCELLABLE i32 (i32.const 4096)) ;; its stack yields, cancellably

  ;; The host's subtasks: the fused component's waitable set they are
  ;; joined to (0 before the first), and how many are not resolved.
  (global $host_set (export "host_set") (mut i32) (i32.const 0))
  (global $host_pending (export "host_pending") (mut i32) (i32.const 0))
  ;; the host subtask begun last
  (global $last_host (mut i32) (i32.const 0))
  ;; the highest task number given to a record so far (`task_of` and
  ;; `host_task` check a number against it)
  (global $top (mut i32) (i32.const 0))
  ;; the root task that waits on the host's set (0: none)
  (global $watcher (export "watcher") (mut i32) (i32.const 0))
  ;; entries in the pool of bells
  (global $pooled (mut i32) (i32.const 0))

  ;; subtask status, event codes
  (global $S_STARTING i32 (i32.const 0))
  (global $S_STARTED i32 (i32.const 1))
  (global $S_RETURNED i32 (i32.const 2))
  (global $S_START_CANCELLED i32 (i32.const 3))
  (global $S_RETURN_CANCELLED i32 (i32.const 4))
  (global $E_SUBTASK i32 (i32.const 1))

  (global $INSTANCES i32 (i32.const 17408))
  ;; (after the first 1,024 instances; 1 MiB of tasks, the bump pointer
  ;; after it)
  (global $CHUNK0 i32 (i32.const 33792))
  ;; the bump pointer (CHUNK0 + 1 MiB), one chunk, the pool at 512 for 42
  (data (i32.const 0) "\00\84\10\00\01\00\00\00\00\02\00\00\2a\00\00\00")
  (data (i32.const 1024) "\00\84\00\00") ;; DIR[0] = CHUNK0

  ;; Traps, one function each, named after what wasmtime 48 says, so a
  ;; backtrace through the fused module tells which one it is.
  (func $trap_cannot_block_sync_task unreachable)        ;; cannot block a synchronous task before returning
  (func $trap_task_return_twice unreachable)             ;; `task.return` or `task.cancel` called more than once
  (func $trap_unsupported_callback_code unreachable)     ;; unsupported callback code
  (func $trap_no_result unreachable)                     ;; async-lifted export failed to produce a result
  (func $trap_waitable_in_a_set unreachable)             ;; waitable cannot be used synchronously while added to a waitable set
  (func $trap_status_delivered unreachable)              ;; `subtask.cancel` called after terminal status delivered
  (func $trap_task_not_cancelled unreachable)            ;; `task.cancel` called by task which has not been cancelled
  (func $trap_backpressure_overflow unreachable)         ;; backpressure counter overflow
  (func $trap_subtask_not_resolved unreachable)          ;; cannot drop a subtask which has not yet resolved

  (func $t (param $task i32) (result i32) ;; inline
    (i32.add (i32.load offset=1024 (i32.shl (i32.shr_u (local.get $task) (i32.const 12))
                                            (i32.const 2)))
             (i32.shl (local.get $task) (i32.const 8))))
  ;; (the same, for a task computed by a call)
  (func $task_at (param $task i32) (result i32)
    (call $t (local.get $task)))

  ;; `size` bytes of this memory, which grows as needed.
  (func $alloc (param $size i32) (result i32)
    (local $at i32) (local $end i32)
    (local.set $at (i32.load (i32.const 0)))
    (local.set $end (i32.add (local.get $at) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $at)) (then unreachable))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.lt_s
              (memory.grow (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535))
                                               (i32.const 16))
                                    (memory.size)))
              (i32.const 0))
          (then unreachable))))
    (i32.store (i32.const 0) (local.get $end))
    (local.get $at))

  ;; A task the scheduler made for `entry`, its chunk made if it is the
  ;; first of one, and the waitables' too (`task_room`).
  (func $new_task (param $entry i32) (result i32)
    (local $task i32) (local $k i32)
    (local.set $task (call $spawn (local.get $entry) (i32.const 0)))
    (local.set $k (i32.shr_u (local.get $task) (i32.const 12)))
    (if (i32.ge_u (local.get $k) (i32.const 4096)) (then unreachable))
    (loop $more
      (if (i32.ge_u (local.get $k) (i32.load (i32.const 4)))
        (then
          (i32.store offset=1024 (i32.shl (i32.load (i32.const 4)) (i32.const 2))
            (i32.sub (call $alloc (i32.const 1048576))
                     (i32.shl (i32.load (i32.const 4)) (i32.const 20))))
          (i32.store (i32.const 4) (i32.add (i32.load (i32.const 4)) (i32.const 1)))
          (br $more))))
    (call $task_room (local.get $task))
    (global.set $top (select (local.get $task) (global.get $top)
                             (i32.gt_u (local.get $task) (global.get $top))))
    (local.get $task))
  ;; Instance `i`'s 16 bytes. (Callers use an address only until they
  ;; ask for an instance with a larger number, which may move the table
  ;; of those from 1,024 on.)
  (func $inst (param $i i32) (result i32)
    (if (i32.lt_u (local.get $i) (i32.const 1024))
      (then (return (i32.add (global.get $INSTANCES) (i32.shl (local.get $i) (i32.const 4))))))
    (call $inst_far (i32.sub (local.get $i) (i32.const 1024))))
  (func $inst_far (param $k i32) (result i32)
    (local $cap i32) (local $size i32) (local $new i32)
    (local.set $cap (i32.load (i32.const 40)))
    (if (i32.ge_u (local.get $k) (local.get $cap))
      (then
        (if (i32.ge_u (local.get $k) (i32.const 0x1000000)) (then unreachable))
        (local.set $size (select (local.get $cap) (i32.const 512) (local.get $cap)))
        (loop $double
          (local.set $size (i32.shl (local.get $size) (i32.const 1)))
          (br_if $double (i32.ge_u (local.get $k) (local.get $size))))
        ;; (the bump allocator's memory is new, so zero)
        (local.set $new (call $alloc (i32.shl (local.get $size) (i32.const 4))))
        (memory.copy (local.get $new) (i32.load (i32.const 36)) (i32.shl (local.get $cap) (i32.const 4)))
        (i32.store (i32.const 36) (local.get $new))
        (i32.store (i32.const 40) (local.get $size))))
    (i32.add (i32.load (i32.const 36)) (i32.shl (local.get $k) (i32.const 4))))
  (func $flag (param $task i32) (param $f i32) (result i32)
    (i32.ne (i32.and (i32.load (call $t (local.get $task))) (local.get $f)) (i32.const 0)))
  (func $set_flag (param $task i32) (param $f i32)
    (local $r i32)
    (local.set $r (call $t (local.get $task)))
    (i32.store (local.get $r) (i32.or (i32.load (local.get $r)) (local.get $f))))

  ;; Task `task`'s record, zeroed for a new call (a root task's record
  ;; leaves the list of root tasks first).
  (func $fresh (param $task i32) (result i32)
    (local $r i32)
    (local.set $r (call $t (local.get $task)))
    (if (i32.eq (i32.load offset=8 (local.get $r)) (i32.const -1))
      (then (call $root_unlink (local.get $task))))
    (memory.fill (local.get $r) (i32.const 0) (i32.const 256))
    (local.get $r))

  ;; The root tasks' records in task order: `waiting_root` and
  ;; `bell_owner` walk them rather than every task. `$at` follows the
  ;; address of a link word (the list's head at 32, or a record's 192).
  (func $root_link (param $task i32)
    (local $at i32) (local $next i32)
    (local.set $at (i32.const 32))
    (loop $walk
      (local.set $next (i32.load (local.get $at)))
      (if (i32.and (i32.ne (local.get $next) (i32.const 0))
                   (i32.lt_u (local.get $next) (local.get $task)))
        (then
          (local.set $at (i32.add (call $t (local.get $next)) (i32.const 192)))
          (br $walk))))
    (i32.store offset=192 (call $t (local.get $task)) (local.get $next))
    (i32.store (local.get $at) (local.get $task)))

  (func $root_unlink (param $task i32)
    (local $at i32) (local $next i32)
    (local.set $at (i32.const 32))
    (loop $walk
      (local.set $next (i32.load (local.get $at)))
      (if (i32.eqz (local.get $next)) (then unreachable))
      (if (i32.ne (local.get $next) (local.get $task))
        (then
          (local.set $at (i32.add (call $t (local.get $next)) (i32.const 192)))
          (br $walk))))
    (i32.store (local.get $at) (i32.load offset=192 (call $t (local.get $task)))))

  ;; The first root task after task `after` (0: from the first; then 0
  ;; when there is none).
  (func $root_after (param $after i32) (result i32)
    (local $task i32)
    (if (local.get $after)
      (then
        (if (i32.eq (i32.load offset=8 (call $t (local.get $after))) (i32.const -1))
          (then (return (i32.load offset=192 (call $t (local.get $after))))))))
    (local.set $task (i32.load (i32.const 32)))
    (loop $walk
      (if (i32.and (i32.ne (local.get $task) (i32.const 0))
                   (i32.le_u (local.get $task) (local.get $after)))
        (then
          (local.set $task (i32.load offset=192 (call $t (local.get $task))))
          (br $walk))))
    (local.get $task))

  ;; The task of the running code (trap outside one).
  (func $running (result i32)
    (if (i32.eqz (global.get $current)) (then unreachable))
    (global.get $current))

  ;; Whether the running task may block: its function type is async.
  (func $may_block (export "may_block") (result i32)
    (call $flag (call $running) (global.get $ASYNC_TYPE)))

  ;; --- the caller's side ----------------------------------------------
  ;; A task for a call from `caller` (-1: the host) into `callee`; `kind`:
  ;; the flags ASYNC_TYPE, CALLBACK, STACKFUL. Queued to start.
  (func (export "begin") (param $caller i32) (param $callee i32) (param $kind i32)
                         (param $entry i32) (result i32)
    (local $task i32) (local $r i32)
    (local.set $task (call $new_task (local.get $entry)))
    (local.set $r (call $fresh (local.get $task)))
    (i32.store (local.get $r)
      (i32.and (local.get $kind)
               (i32.or (global.get $ASYNC_TYPE)
                       (i32.or (global.get $CALLBACK) (global.get $STACKFUL)))))
    (i32.store offset=4 (local.get $r) (local.get $callee))
    (i32.store offset=8 (local.get $r) (local.get $caller))
    (i32.store offset=12 (local.get $r) (global.get $current))
    (if (i32.ne (local.get $caller) (i32.const -1))
      (then
        (i32.store offset=16 (local.get $r) (call $waitable_new (local.get $caller)))
        (call $tie (i32.load offset=16 (local.get $r)) (local.get $task)))
      (else (call $root_link (local.get $task))))
    (local.get $task))

  ;; The address of the task's i-th raw argument (i64 slots, 0 to 15),
  ;; for i = 16 of its return half's index (i32), for 17 and 18 of the
  ;; host entries' words, for 19 of the scope of its borrowed handles, for
  ;; 21 to 24 of a root task's bell, for 25 of a 17th raw argument (a
  ;; sync lower's return pointer after 16 flat parameters).
  (func (export "argument") (param $task i32) (param $i i32) (result i32)
    (if (i32.gt_u (local.get $i) (i32.const 27)) (then unreachable))
    (i32.add (i32.add (call $t (local.get $task)) (i32.const 32))
             (i32.shl (local.get $i) (i32.const 3))))

  ;; An async-lowered call: `await_call`, the scheduler's `suspend`, then
  ;; `call_result` (the caller resumes after T's first suspension).
  (func (export "await_call") (param $task i32)
    (call $await_one (i32.load offset=16 (call $t (local.get $task)))))

  ;; What the async-lowered call returns: 2 if T returned, else
  ;; `status | handle << 4` with the subtask's handle made now.
  (func (export "call_result") (param $task i32) (result i32)
    (local $w i32) (local $status i32)
    (local.set $w (i32.load offset=16 (call $t (local.get $task))))
    (drop (call $take_one (local.get $w)))
    (local.set $status (global.get $p2))
    (if (i32.eq (local.get $status) (global.get $S_RETURNED))
      (then
        (call $waitable_free (local.get $w))
        (i32.store offset=16 (call $t (local.get $task)) (i32.const 0))
        (call $forget (local.get $task))
        (return (global.get $S_RETURNED))))
    (i32.or (local.get $status) (i32.shl (call $bind (local.get $w)) (i32.const 4))))

  ;; A sync caller of an async callee (only an async-typed task may be
  ;; one): while this returns 1, `suspend`; 0 once T returned.
  (func (export "call_sync_pending") (param $task i32) (result i32)
    (local $w i32)
    (call $check_blocking)
    (local.set $w (i32.load offset=16 (call $t (local.get $task))))
    (drop (call $take_one (local.get $w)))
    (if (i32.eqz (call $flag (local.get $task) (global.get $RETURNED)))
      (then
        (call $await_one (local.get $w))
        (return (i32.const 1))))
    (call $waitable_free (local.get $w))
    (i32.store offset=16 (call $t (local.get $task)) (i32.const 0))
    (call $forget (local.get $task))
    (i32.const 0))

  ;; A sync-to-sync call: its callee runs on the caller's task, which may
  ;; block during it only if the callee's type is async (and then only if
  ;; the caller may: else this traps, as wasmtime 48 does before the
  ;; call). Returns whether the caller could, for `sync_exit`.
  (func (export "sync_enter") (param $async i32) (result i32)
    (local $task i32) (local $old i32)
    (local.set $task (call $running))
    (local.set $old (call $flag (local.get $task) (global.get $ASYNC_TYPE)))
    (if (local.get $async)
      (then
        (if (i32.eqz (local.get $old)) (then (call $trap_cannot_block_sync_task))))
      (else
        (i32.store (call $t (local.get $task))
          (i32.and (i32.load (call $t (local.get $task)))
                   (i32.xor (global.get $ASYNC_TYPE) (i32.const -1))))))
    (local.get $old))

  ;; The sync-to-sync call returned: the caller's task may block again as
  ;; before (`old`, from `sync_enter`).
  (func (export "sync_exit") (param $old i32)
    (if (local.get $old) (then (call $set_flag (call $running) (global.get $ASYNC_TYPE)))))

  ;; Traps unless the running task may block.
  (func $check_blocking (export "check_blocking")
    (if (i32.eqz (call $may_block)) (then (call $trap_cannot_block_sync_task))))

  ;; The caller no longer follows T; its records go when it has exited.
  ;; (The host entry calls it for the root task once it has its results.)
  (func $forget (export "forget") (param $task i32)
    (i32.store offset=12 (call $t (local.get $task)) (i32.const 0))
    (call $orphan (local.get $task)))

  ;; --- the callee's side ----------------------------------------------
  (func $ready (param $callee i32) (result i32)
    (local $i i32)
    (local.set $i (call $inst (local.get $callee)))
    (i32.and (i32.eqz (i32.load (local.get $i))) (i32.eqz (i32.load offset=4 (local.get $i)))))

  ;; Locks (`on` 1) or unlocks instance `callee`: a sync-lifted task or a
  ;; callback of it runs.
  (func $lock (param $callee i32) (param $on i32)
    (local $was i32)
    (local.set $was (i32.eqz (call $ready (local.get $callee))))
    (i32.store (call $inst (local.get $callee)) (local.get $on))
    (call $gate_after (local.get $callee) (local.get $was)))

  ;; Instance `callee` was closed (`was`: locked or with backpressure)
  ;; before a change: if that changed, the host's gate follows (the fused
  ;; component's backpressure, for the instances sync root exports enter).
  (func $gate_after (param $callee i32) (param $was i32)
    (local $now i32)
    (local.set $now (i32.eqz (call $ready (local.get $callee))))
    (if (i32.ne (local.get $now) (local.get $was))
      (then (call $gate (local.get $callee) (local.get $now)))))

  ;; Parks T on its callee, in task order, and makes it idle: after the
  ;; last one at once when its number is larger (tasks usually park in
  ;; the order they were made), else where its number goes.
  (func $park (param $task i32)
    (local $at i32) (local $next i32) (local $i i32) (local $last i32)
    (call $set_flag (local.get $task) (global.get $PARKED))
    (local.set $i (call $inst (i32.load offset=4 (call $t (local.get $task)))))
    (local.set $last (i32.load offset=12 (local.get $i)))
    (if (i32.or (i32.eqz (local.get $last)) (i32.gt_u (local.get $task) (local.get $last)))
      (then
        (i32.store offset=28 (call $t (local.get $task)) (i32.const 0))
        (if (local.get $last)
          (then (i32.store offset=28 (call $t (local.get $last)) (local.get $task)))
          (else (i32.store offset=8 (local.get $i) (local.get $task))))
        (i32.store offset=12 (local.get $i) (local.get $task))
        (call $idle)
        (return)))
    (local.set $at (i32.add (local.get $i) (i32.const 8)))
    (block $here
      (loop $scan
        (local.set $next (i32.load (local.get $at)))
        (br_if $here (i32.or (i32.eqz (local.get $next))
                             (i32.gt_u (local.get $next) (local.get $task))))
        (local.set $at (i32.add (call $t (local.get $next)) (i32.const 28)))
        (br $scan)))
    (i32.store offset=28 (call $t (local.get $task)) (local.get $next))
    (i32.store (local.get $at) (local.get $task))
    (call $idle))

  ;; Releases every task parked on the instance (wasmtime's
  ;; partition_pending): each is queued again and checks when it runs.
  (func $release (param $callee i32)
    (local $i i32) (local $task i32) (local $next i32)
    (local.set $i (call $inst (local.get $callee)))
    (if (i32.eqz (call $ready (local.get $callee))) (then return))
    (local.set $task (i32.load offset=8 (local.get $i)))
    (i32.store offset=8 (local.get $i) (i32.const 0))
    (i32.store offset=12 (local.get $i) (i32.const 0))
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $task)))
        (local.set $next (i32.load offset=28 (call $t (local.get $task))))
        (i32.store (call $t (local.get $task))
          (i32.and (i32.load (call $t (local.get $task))) (i32.xor (global.get $PARKED) (i32.const -1))))
        (call $wake (local.get $task) (i32.const 0) (i32.const 1))
        (local.set $task (local.get $next))
        (br $each))))

  ;; Called by T's entry each time it runs afresh: 0 when T cannot run now
  ;; (parked; the entry returns), 1 to start (lower the parameters, call
  ;; `started`, call the core function), 2 to deliver an event to the
  ;; callback (`code`, `p1`, `p2`).
  (func (export "enter") (param $task i32) (result i32)
    (local $r i32) (local $callee i32) (local $event i32)
    (local.set $r (call $t (local.get $task)))
    (local.set $callee (i32.load offset=4 (local.get $r)))
    (if (i32.eqz (call $flag (local.get $task) (global.get $STARTED)))
      (then
        (if (i32.eqz (call $ready (local.get $callee)))
          (then
            (if (i32.eqz (call $flag (local.get $task) (global.get $STARTING_SENT)))
              (then
                (call $set_flag (local.get $task) (global.get $STARTING_SENT))
                (call $event (local.get $task) (global.get $S_STARTING))))
            (call $park (local.get $task))
            (return (i32.const 0))))
        (if (i32.eqz (call $flag (local.get $task) (global.get $STACKFUL)))
          (then (call $lock (local.get $callee) (i32.const 1))))
        (return (i32.const 1))))
    ;; an event for the callback
    (if (i32.load (call $inst (local.get $callee)))
      (then (call $park (local.get $task)) (return (i32.const 0))))
    (call $lock (local.get $callee) (i32.const 1))
    (local.set $event (i32.load offset=20 (local.get $r)))
    (i32.store offset=20 (local.get $r) (i32.const 0))
    (global.set $p1 (i32.const 0))
    (global.set $p2 (i32.const 0))
    (global.set $code (i32.const 0))
    (if (i32.eq (local.get $event) (i32.const 2))
      (then (global.set $code (i32.const 6)))
      (else
        (if (i32.and (i32.eqz (local.get $event)) (i32.ne (i32.load offset=24 (local.get $r)) (i32.const 0)))
          (then (global.set $code (call $take_record (i32.load offset=24 (local.get $r))))))))
    (i32.store offset=24 (local.get $r) (i32.const 0))
    (i32.const 2))

  ;; Sets T's subtask event (the caller's view), waking a blocked caller.
  (func $event (param $task i32) (param $status i32)
    (local $w i32)
    (local.set $w (i32.load offset=16 (call $t (local.get $task))))
    (if (local.get $w)
      (then (call $set_event (local.get $w) (global.get $E_SUBTASK) (local.get $status)))))

  ;; The parameters are in B: T has started.
  (func (export "started") (param $task i32)
    (call $set_flag (local.get $task) (global.get $STARTED))
    (call $event (local.get $task) (global.get $S_STARTED)))

  ;; `task.return` of the running task, after its results were lowered
  ;; into the caller.
  (func (export "returned")
    (local $task i32)
    (local.set $task (call $running))
    (if (call $flag (local.get $task) (global.get $RETURNED)) (then (call $trap_task_return_twice)))
    (call $set_flag (local.get $task) (global.get $RETURNED))
    (call $event (local.get $task) (global.get $S_RETURNED)))

  ;; A sync-lifted callee's core function returned (its results lowered,
  ;; its post-return run): unlock the callee, and T has returned.
  (func (export "exit_sync") (param $task i32)
    (local $callee i32)
    (local.set $callee (i32.load offset=4 (call $t (local.get $task))))
    (call $lock (local.get $callee) (i32.const 0))
    (call $set_flag (local.get $task) (i32.or (global.get $RETURNED) (global.get $EXITED)))
    (call $event (local.get $task) (global.get $S_RETURNED))
    (call $release (local.get $callee)))

  ;; What a callback-lifted invocation returned: EXIT, YIELD, WAIT | set << 4.
  (func (export "callback_code") (param $task i32) (param $code i32)
    (local $r i32) (local $callee i32) (local $set i32)
    (local.set $r (call $t (local.get $task)))
    (local.set $callee (i32.load offset=4 (local.get $r)))
    (call $lock (local.get $callee) (i32.const 0))
    (call $release (local.get $callee))
    (block $wait
      (block $yield
        (block $exit
          (br_table $exit $yield $wait (i32.and (local.get $code) (i32.const 15)))
          ;; any other code
          (call $trap_unsupported_callback_code))
        ;; EXIT: it must have returned
        (if (i32.eqz (call $flag (local.get $task) (global.get $RETURNED))) (then (call $trap_no_result)))
        (call $set_flag (local.get $task) (global.get $EXITED))
        (return))
      ;; YIELD: the callback runs again with NONE after the others
      (if (i32.ne (i32.load offset=20 (local.get $r)) (i32.const 2))
        (then (i32.store offset=20 (local.get $r) (i32.const 1))))
      (call $idle)
      (call $wake (local.get $task) (i32.const 0) (i32.const 0))
      (return))
    ;; WAIT on a set of the callee
    (local.set $set (call $set (local.get $callee) (i32.shr_u (local.get $code) (i32.const 4))))
    (i32.store offset=24 (local.get $r) (local.get $set))
    (call $idle)
    (if (i32.or (i32.ne (i32.load offset=20 (local.get $r)) (i32.const 0))
                (call $set_ready (local.get $set)))
      (then (call $wake (local.get $task) (i32.const 0) (i32.const 1)))
      (else (call $await_record (local.get $set)))))

  ;; A stackful callee's core function returned: it must have returned
  ;; its results (or been cancelled).
  (func (export "exit_stackful") (param $task i32)
    (if (i32.eqz (call $flag (local.get $task) (global.get $RETURNED))) (then (call $trap_no_result)))
    (call $set_flag (local.get $task) (global.get $EXITED)))

  ;; Whether T returned (or was cancelled): after the scheduler ran dry, a
  ;; root task that did not is deadlocked.
  (func (export "has_returned") (param $task i32) (result i32)
    (call $flag (local.get $task) (global.get $RETURNED)))

  ;; --- cancellation -----------------------------------------------------
  ;; `subtask.cancel h` by `inst`, first half: 0 when the call resolved
  ;; already (take `cancel_result`), 1 when the caller must `yield` (the
  ;; callee was woken to see CANCELLED) and then call `cancel_result`, 2
  ;; for a host subtask the host must cancel (`host_handle`, the host's
  ;; `subtask.cancel`; then `host_cancelled` or `cancel_result`).
  ;; `sync`: the variant without `async` (a blocking cancel).
  (func (export "cancel") (param $inst i32) (param $h i32) (param $sync i32) (result i32)
    (local $w i32) (local $task i32) (local $r i32) (local $callee i32)
    (local.set $w (call $subtask (local.get $inst) (local.get $h)))
    (local.set $task (call $task_of (local.get $w)))
    (local.set $r (call $t (local.get $task)))
    (if (local.get $sync)
      (then
        (call $check_blocking)
        (if (call $set_of (local.get $w)) (then (call $trap_waitable_in_a_set)))))
    ;; a host subtask: the host cancels it (2), unless it resolved already
    (if (call $flag (local.get $task) (global.get $HOST))
      (then
        (if (call $flag (local.get $task) (global.get $RETURNED)) (then (return (i32.const 0))))
        (return (i32.const 2))))
    (if (i32.eqz (call $flag (local.get $task) (global.get $STARTED)))
      (then
        ;; not started: taken off its queue or its callee's parked list
        (if (call $flag (local.get $task) (global.get $PARKED))
          (then
            (call $unpark (local.get $task))
            (call $finish (local.get $task)))
          (else
            (if (i32.eqz (call $queued_fresh (local.get $task))) (then (call $trap_status_delivered)))
            (call $finish (local.get $task))))
        (call $set_flag (local.get $task)
          (i32.or (global.get $RETURNED) (i32.or (global.get $EXITED) (global.get $CANCELLED))))
        (i32.store offset=20 (local.get $r) (i32.const 3))
        (return (i32.const 0))))
    (if (call $flag (local.get $task) (global.get $RETURNED)) (then (return (i32.const 0))))
    (call $set_flag (local.get $task) (global.get $CANCEL_SENT))
    (i32.store offset=20 (local.get $r) (i32.const 2))
    ;; a callback waiting on a set, or a stack in a cancellable wait, sees
    ;; CANCELLED at once, and the caller
    ;; yields to let it react; else CANCELLED waits for its next callback
    (if (i32.or
          ;; a callback's WAIT (between invocations)
          (i32.and (call $flag (local.get $task) (global.get $CALLBACK))
                   (i32.ne (i32.load offset=24 (local.get $r)) (i32.const 0)))
          (call $flag (local.get $task) (global.get $WAIT_CANCELLABLE)))
      (then
        (if (call $unawait (local.get $task))
          (then
            (call $wake (local.get $task) (i32.const 0) (i32.const 1))
            (call $wake (global.get $current) (i32.const 0) (i32.const 0))
            (return (i32.const 1))))))
    ;; a stack in a cancellable yield moves to the high queue
    (if (call $flag (local.get $task) (global.get $YIELD_CANCELLABLE))
      (then
        (call $promote (local.get $task))
        (call $wake (global.get $current) (i32.const 0) (i32.const 0))
        (return (i32.const 1))))
    (i32.const 0))

  ;; `subtask.cancel`, second half: START_CANCELLED, RETURNED,
  ;; RETURN_CANCELLED, or BLOCKED (-1, async variant) while it runs; the
  ;; sync variant gets 1 back ("suspend and call again") instead of
  ;; BLOCKED.
  (func (export "cancel_result") (param $inst i32) (param $h i32) (param $sync i32) (result i32)
    (local $w i32) (local $task i32) (local $r i32)
    (local.set $w (call $subtask (local.get $inst) (local.get $h)))
    (local.set $task (call $task_of (local.get $w)))
    (local.set $r (call $t (local.get $task)))
    (if (i32.eq (i32.load offset=20 (local.get $r)) (i32.const 3))
      (then
        (i32.store offset=20 (local.get $r) (i32.const 0))
        (return (global.get $S_START_CANCELLED))))
    (if (i32.eqz (call $flag (local.get $task) (global.get $RETURNED)))
      (then
        (if (local.get $sync)
          (then
            (call $await_one (local.get $w))
            (return (i32.const 1))))
        (return (i32.const -1))))
    ;; resolved: its terminal event must still be pending
    (if (i32.eqz (call $take_one (local.get $w))) (then (call $trap_status_delivered)))
    (if (call $flag (local.get $task) (global.get $CANCELLED))
      (then (return (global.get $S_RETURN_CANCELLED))))
    (global.get $S_RETURNED))

  ;; Takes a parked task off its callee's list.
  (func $unpark (param $task i32)
    (local $at i32) (local $next i32) (local $i i32) (local $prev i32)
    (local.set $i (call $inst (i32.load offset=4 (call $t (local.get $task)))))
    (local.set $at (i32.add (local.get $i) (i32.const 8)))
    (block $found
      (loop $scan
        (local.set $next (i32.load (local.get $at)))
        (if (i32.eqz (local.get $next)) (then unreachable))
        (br_if $found (i32.eq (local.get $next) (local.get $task)))
        (local.set $prev (local.get $next))
        (local.set $at (i32.add (call $t (local.get $next)) (i32.const 28)))
        (br $scan)))
    (i32.store (local.get $at) (i32.load offset=28 (call $t (local.get $task))))
    (if (i32.eq (i32.load offset=12 (local.get $i)) (local.get $task))
      (then (i32.store offset=12 (local.get $i) (local.get $prev)))))

  ;; `task.cancel` of the running task: only after its caller cancelled
  ;; it, once; the caller sees RETURN_CANCELLED.
  (func (export "task_cancel")
    (local $task i32)
    (local.set $task (call $running))
    (if (i32.eqz (call $flag (local.get $task) (global.get $CANCEL_SENT))) (then (call $trap_task_not_cancelled)))
    (if (call $flag (local.get $task) (global.get $RETURNED)) (then (call $trap_task_return_twice)))
    (call $set_flag (local.get $task) (i32.or (global.get $RETURNED) (global.get $CANCELLED)))
    (call $event (local.get $task) (global.get $S_RETURN_CANCELLED)))

  ;; --- built-ins --------------------------------------------------------
  (func (export "backpressure_inc") (param $inst i32)
    (local $i i32) (local $was i32)
    (local.set $i (call $inst (local.get $inst)))
    (local.set $was (i32.eqz (call $ready (local.get $inst))))
    (if (i32.ge_u (i32.load offset=4 (local.get $i)) (i32.const 0xffff)) (then (call $trap_backpressure_overflow)))
    (i32.store offset=4 (local.get $i) (i32.add (i32.load offset=4 (local.get $i)) (i32.const 1)))
    (call $gate_after (local.get $inst) (local.get $was)))

  (func (export "backpressure_dec") (param $inst i32)
    (local $i i32) (local $was i32)
    (local.set $i (call $inst (local.get $inst)))
    (local.set $was (i32.eqz (call $ready (local.get $inst))))
    (if (i32.eqz (i32.load offset=4 (local.get $i))) (then (call $trap_backpressure_overflow)))
    (i32.store offset=4 (local.get $i) (i32.sub (i32.load offset=4 (local.get $i)) (i32.const 1)))
    (call $gate_after (local.get $inst) (local.get $was))
    (call $release (local.get $inst)))

  ;; `subtask.drop`: only once its last status was delivered.
  (func (export "subtask_drop") (param $inst i32) (param $h i32)
    (local $w i32) (local $task i32)
    (local.set $w (call $subtask (local.get $inst) (local.get $h)))
    (call $join (local.get $inst) (local.get $h) (i32.const 0))
    (call $remove (local.get $inst) (local.get $h))
    (local.set $task (call $task_of (local.get $w)))
    (if (i32.eqz (call $flag (local.get $task) (global.get $RETURNED))) (then (call $trap_subtask_not_resolved)))
    (if (call $has_event (local.get $w)) (then (call $trap_subtask_not_resolved)))
    (call $waitable_free (local.get $w))
    (i32.store offset=16 (call $t (local.get $task)) (i32.const 0))
    (call $forget (local.get $task)))

  ;; The task whose subtask waitable is `w` (`tie`d when it was made).
  (func $task_of (param $w i32) (result i32)
    (local $task i32)
    (local.set $task (call $tied (local.get $w)))
    (if (i32.or (i32.eqz (local.get $task)) (i32.gt_u (local.get $task) (global.get $top)))
      (then unreachable))
    (if (i32.ne (i32.load offset=16 (call $t (local.get $task))) (local.get $w))
      (then unreachable))
    (local.get $task))

  ;; For the cancellable `waitable-set.wait`, `.poll` and `thread.yield`:
  ;; takes a CANCELLED pending for the running task (1), else 0.
  (func (export "take_cancel") (result i32)
    (local $r i32)
    (local.set $r (call $task_at (call $running)))
    ;; (after a cancellable yield: it runs again)
    (i32.store (local.get $r)
      (i32.and (i32.load (local.get $r)) (i32.xor (global.get $YIELD_CANCELLABLE) (i32.const -1))))
    (if (i32.ne (i32.load offset=20 (local.get $r)) (i32.const 2)) (then (return (i32.const 0))))
    (i32.store offset=20 (local.get $r) (i32.const 0))
    (i32.const 1))

  ;; Around the suspension of a cancellable wait: while marked, a cancel
  ;; wakes the running task's stack.
  (func (export "wait_cancellable") (param $on i32)
    (local $r i32)
    (local.set $r (call $task_at (call $running)))
    (i32.store (local.get $r)
      (select
        (i32.or (i32.load (local.get $r)) (global.get $WAIT_CANCELLABLE))
        (i32.and (i32.load (local.get $r)) (i32.xor (global.get $WAIT_CANCELLABLE) (i32.const -1)))
        (local.get $on))))

  ;; `thread.yield` of the running task: 1 when it must `suspend` (an
  ;; async-typed task lets the others run first, from the low queue); 0
  ;; for a task that may not block (it goes on).
  (func $yield (export "yield") (result i32)
    (if (i32.eqz (call $may_block)) (then (return (i32.const 0))))
    (call $wake (global.get $current) (i32.const 0) (i32.const 0))
    (i32.const 1))

  ;; The cancellable `thread.yield`: as `yield`, and a cancel meanwhile
  ;; promotes the task (`take_cancel` after it clears the mark).
  (func (export "yield_cancellable") (result i32)
    (if (call $yield)
      (then
        (call $set_flag (call $running) (global.get $YIELD_CANCELLABLE))
        (return (i32.const 1))))
    (i32.const 0))

  ;; --- the host's subtasks ----------------------------------------------
  ;; An async call of the host by `inst` returned `status | hh << 4`, hh
  ;; the host's subtask in the fused component's table: a subtask in
  ;; `inst`'s table follows it (a task record that never runs). Returns
  ;; what the caller gets: the status and the subtask's handle.
  (func (export "host_begin") (param $inst i32) (param $code i32) (result i32)
    (local $task i32)
    (local.set $task (call $host_begin_sync (local.get $inst) (local.get $code)))
    (i32.or (i32.and (local.get $code) (i32.const 15))
            (i32.shl (call $bind (i32.load offset=16 (call $t (local.get $task))))
                     (i32.const 4))))

  ;; The same for a sync call of the host that blocks: the task (no
  ;; handle in the caller's table; the caller waits with
  ;; `call_sync_pending`).
  (func $host_begin_sync (export "host_begin_sync") (param $inst i32) (param $code i32)
      (result i32)
    (local $task i32) (local $r i32) (local $w i32)
    (local.set $task (call $new_task (i32.const 0)))
    (call $finish (local.get $task))
    (local.set $r (call $fresh (local.get $task)))
    (i32.store (local.get $r) (i32.or (global.get $HOST) (global.get $STARTED)))
    (i32.store offset=4 (local.get $r) (i32.const -1))
    (i32.store offset=8 (local.get $r) (local.get $inst))
    (i32.store offset=12 (local.get $r) (global.get $current))
    (local.set $w (call $host_waitable_new (local.get $inst)))
    (i32.store offset=16 (local.get $r) (local.get $w))
    (call $tie (local.get $w) (local.get $task))
    (i32.store offset=192 (local.get $r) (i32.shr_u (local.get $code) (i32.const 4)))
    (if (i32.shr_u (local.get $code) (i32.const 4))
      (then (i32.store (call $host_entry (i32.shr_u (local.get $code) (i32.const 4)))
              (local.get $task))))
    (global.set $host_pending (i32.add (global.get $host_pending) (i32.const 1)))
    (global.set $last_host (local.get $task))
    (local.get $task))

  ;; The unresolved host subtask the host calls `hh` (the host may give the
  ;; number again once a resolved one is dropped).
  (func $host_task (param $hh i32) (result i32)
    (local $task i32) (local $r i32)
    (if (i32.ge_u (local.get $hh) (i32.load (i32.const 28))) (then unreachable))
    (local.set $task (i32.load (call $host_entry (local.get $hh))))
    (if (i32.or (i32.eqz (local.get $task)) (i32.gt_u (local.get $task) (global.get $top)))
      (then unreachable))
    (local.set $r (call $t (local.get $task)))
    (if (i32.and
          (i32.eq (i32.and (i32.load (local.get $r))
                           (i32.or (global.get $HOST) (global.get $RETURNED)))
                  (global.get $HOST))
          (i32.and (i32.ne (i32.load offset=16 (local.get $r)) (i32.const 0))
                   (i32.eq (i32.load offset=192 (local.get $r)) (local.get $hh))))
      (then (return (local.get $task))))
    (unreachable))

  ;; The address of the entry for the host's subtask `hh` in the map from
  ;; the host's subtasks to their tasks (the latest task begun with that
  ;; number), which grows to hold it.
  (func $host_entry (param $hh i32) (result i32)
    (local $cap i32) (local $size i32) (local $new i32)
    (local.set $cap (i32.load (i32.const 28)))
    (if (i32.ge_u (local.get $hh) (local.get $cap))
      (then
        (if (i32.ge_u (local.get $hh) (i32.const 0x10000000)) (then unreachable))
        (local.set $size (select (local.get $cap) (i32.const 64) (local.get $cap)))
        (loop $double
          (local.set $size (i32.shl (local.get $size) (i32.const 1)))
          (br_if $double (i32.ge_u (local.get $hh) (local.get $size))))
        ;; (the bump allocator's memory is new, so zero)
        (local.set $new (call $alloc (i32.shl (local.get $size) (i32.const 2))))
        (memory.copy (local.get $new) (i32.load (i32.const 24)) (i32.shl (local.get $cap) (i32.const 2)))
        (i32.store (i32.const 24) (local.get $new))
        (i32.store (i32.const 28) (local.get $size))))
    (i32.add (i32.load (i32.const 24)) (i32.shl (local.get $hh) (i32.const 2))))

  ;; A host subtask resolved with `status`.
  (func $host_resolved (param $task i32) (param $status i32)
    (call $set_flag (local.get $task) (i32.or (global.get $RETURNED) (global.get $EXITED)))
    (if (i32.eq (local.get $status) (global.get $S_RETURN_CANCELLED))
      (then (call $set_flag (local.get $task) (global.get $CANCELLED))))
    (global.set $host_pending (i32.sub (global.get $host_pending) (i32.const 1))))

  ;; The host's subtask `hh` reported `status` (a SUBTASK event of the
  ;; fused component): the inner subtask gets the event. 1 when it is
  ;; terminal (the host's subtask can be dropped).
  (func (export "host_event") (param $hh i32) (param $status i32) (result i32)
    (local $task i32) (local $terminal i32)
    (local.set $task (call $host_task (local.get $hh)))
    (local.set $terminal
      (i32.or (i32.eq (local.get $status) (global.get $S_RETURNED))
              (i32.eq (local.get $status) (global.get $S_RETURN_CANCELLED))))
    (if (local.get $terminal) (then (call $host_resolved (local.get $task) (local.get $status))))
    (call $event (local.get $task) (local.get $status))
    (local.get $terminal))

  ;; The host's handle of host subtask `h` of `inst`.
  (func (export "host_handle") (param $inst i32) (param $h i32) (result i32)
    (i32.load offset=192
      (call $task_at (call $task_of (call $subtask (local.get $inst) (local.get $h))))))

  ;; The host's `subtask.cancel` resolved host subtask `h` of `inst` at
  ;; once with `status` (no event follows).
  (func (export "host_cancelled") (param $inst i32) (param $h i32) (param $status i32)
    (call $host_resolved
      (call $task_of (call $subtask (local.get $inst) (local.get $h)))
      (local.get $status)))

  ;; The host answered an async `subtask.cancel` of host subtask `h` of
  ;; `inst` with BLOCKED: its task is aborted, and wasmtime 48 lets the
  ;; caller drop it before the event comes.
  (func (export "host_cancel_sent") (param $inst i32) (param $h i32)
    (call $set_flag
      (call $task_of (call $subtask (local.get $inst) (local.get $h)))
      (global.get $CANCEL_SENT)))

  ;; Before `subtask.drop` of `h` of `inst`: the host's handle of it if it
  ;; is such a host subtask, not yet resolved (0 otherwise).
  (func (export "host_abandon") (param $inst i32) (param $h i32) (result i32)
    (local $task i32)
    (local.set $task (call $task_of (call $subtask (local.get $inst) (local.get $h))))
    (if (result i32)
        (i32.eq (i32.and (i32.load (call $t (local.get $task)))
                         (i32.or (global.get $HOST)
                                 (i32.or (global.get $CANCEL_SENT) (global.get $RETURNED))))
                (i32.or (global.get $HOST) (global.get $CANCEL_SENT)))
      (then (i32.load offset=192 (call $t (local.get $task))))
      (else (i32.const 0))))

  ;; --- bells of root tasks -----------------------------------------------
  ;; With host subtasks, a root task whose turn has nothing to do WAITs:
  ;; on the host's set if it is the watcher, else on a set of its own.
  ;; Either holds its bell, the readable end of a unit future with a read
  ;; pending, which another turn writes when the task needs a turn of its
  ;; own (the generated code calls the host's built-ins).

  ;; A root task that waits on its bell, after task `after` (0: none).
  (func (export "waiting_root") (param $after i32) (result i32)
    (local $task i32) (local $r i32)
    (local.set $task (call $root_after (local.get $after)))
    (loop $scan
      (if (i32.eqz (local.get $task)) (then (return (i32.const 0))))
      (local.set $r (call $t (local.get $task)))
      (if (i32.and (i32.ne (i32.load offset=224 (local.get $r)) (i32.const 0))
                   (i32.ne (i32.load offset=208 (local.get $r)) (i32.const 0)))
        (then (return (local.get $task))))
      (local.set $task (i32.load offset=192 (local.get $r)))
      (br $scan))
    (unreachable))

  ;; Keeps an exited root task's bell (readable, writable) and set for the
  ;; next one.
  (func (export "pool_put") (param $r i32) (param $w i32) (param $set i32)
    (local $at i32) (local $size i32)
    (if (i32.ge_u (global.get $pooled) (i32.load (i32.const 12)))
      (then
        ;; full: it moves to a pool twice as large
        (local.set $size (i32.mul (i32.load (i32.const 12)) (i32.const 12)))
        (local.set $at (call $alloc (i32.shl (local.get $size) (i32.const 1))))
        (memory.copy (local.get $at) (i32.load (i32.const 8)) (local.get $size))
        (i32.store (i32.const 8) (local.get $at))
        (i32.store (i32.const 12) (i32.shl (i32.load (i32.const 12)) (i32.const 1)))))
    (local.set $at (i32.add (i32.load (i32.const 8)) (i32.mul (global.get $pooled) (i32.const 12))))
    (i32.store (local.get $at) (local.get $r))
    (i32.store offset=4 (local.get $at) (local.get $w))
    (i32.store offset=8 (local.get $at) (local.get $set))
    (global.set $pooled (i32.add (global.get $pooled) (i32.const 1))))

  ;; Gives a new root task `task` the last pooled bell and set, if any.
  (func (export "pool_take") (param $task i32)
    (local $at i32) (local $r i32)
    (if (i32.eqz (global.get $pooled)) (then return))
    (global.set $pooled (i32.sub (global.get $pooled) (i32.const 1)))
    (local.set $at (i32.add (i32.load (i32.const 8)) (i32.mul (global.get $pooled) (i32.const 12))))
    (local.set $r (call $t (local.get $task)))
    (i32.store offset=200 (local.get $r) (i32.load (local.get $at)))
    (i32.store offset=208 (local.get $r) (i32.load offset=4 (local.get $at)))
    (i32.store offset=216 (local.get $r) (i32.load offset=8 (local.get $at))))

  ;; The root task whose bell's readable end is `r` (a trap if none).
  (func (export "bell_owner") (param $r i32) (result i32)
    (local $task i32)
    (local.set $task (i32.load (i32.const 32)))
    (loop $scan
      (if (i32.eqz (local.get $task)) (then unreachable))
      (if (i32.ne (i32.load offset=200 (call $t (local.get $task))) (local.get $r))
        (then
          (local.set $task (i32.load offset=192 (call $t (local.get $task))))
          (br $scan))))
    (local.get $task))

  ;; The host subtask begun last has a result that generated function
  ;; `fix` moves into place once the host has written it: at `retptr`, or,
  ;; staged, at `area` of meld's memory (0: not staged), from where `fix`
  ;; copies it to `retptr`.
  (func (export "host_note") (param $fix i32) (param $retptr i32) (param $area i32)
    (i32.store offset=196 (call $t (global.get $last_host)) (local.get $fix))
    (i32.store offset=200 (call $t (global.get $last_host)) (local.get $retptr))
    (i32.store offset=204 (call $t (global.get $last_host)) (local.get $area)))

  ;; `host_note`'s words of the unresolved host subtask `hh`.
  (func (export "host_fix") (param $hh i32) (result i32)
    (i32.load offset=196 (call $task_at (call $host_task (local.get $hh)))))
  (func (export "host_retptr") (param $hh i32) (result i32)
    (i32.load offset=200 (call $task_at (call $host_task (local.get $hh)))))
  (func (export "host_area") (param $hh i32) (result i32)
    (i32.load offset=204 (call $task_at (call $host_task (local.get $hh)))))
)
