;; Waitables, waitable sets and their events, as wasmtime 48 keeps them.
;;
;; A waitable (a subtask; later stream and future ends) holds at most one
;; pending event: setting one overwrites the last. It is in at most one
;; set. A set has members and waiters (tasks blocked in `wait` on it).
;; Setting an event on a member of a set, or joining a waitable with a
;; pending event to a set, marks the set ready: the first waiter (lowest
;; task number) is woken, one per mark, as wasmtime wakes the first waiter
;; of its ordered map. Events are taken from the ready member created first
;; (wasmtime: lowest store-wide id), a host subtask's before the others'.
;;
;; Handles live in the inner instance's own table (imported: meld's handle
;; tables, shared with resources), tagged 8 for a set and 9 and up for a
;; waitable; the representation is the record number here.
;;
;; The built-ins a component imports are generated around these functions:
;; `wait` is `take` in a loop with `await` + the scheduler's `suspend`, and
;; the generated code writes `p1`/`p2` into the component's memory.
;;
;; Memory (this module's own; all u32):
;;   0            number of records ever made
;;   4            first free record (0: none)
;;   1024..       records, 32 bytes each (record n at 1024 + 32 n, n >= 1):
;;                  0 kind (0 free, 1 set, 2 waitable)
;;                  4 owner instance, 8 handle in its table
;;                  waitable: 12 event code (0: none), 16 event payload,
;;                            20 its set (0: none), 24 next member of it,
;;                            28 a task waiting on it alone (a caller
;;                            blocked in its call), woken by its next event
;;                  set:      20 first member, 28 first waiter
;;                  error context: 12 the handles naming it
;;   TASKS..      per scheduler task, 8 bytes: 0 the set it waits on,
;;                  4 the next waiter of that set
(module
  (import "tables" "insert" (func $insert (param i32 i32 i32) (result i32)))
  (import "tables" "rep" (func $rep (param i32 i32) (result i32)))
  (import "tables" "tag" (func $tag (param i32 i32) (result i32)))
  (import "tables" "remove" (func $remove (param i32 i32)))
  (import "scheduler" "current" (global $current (mut i32)))
  (import "scheduler" "wake" (func $wake (param i32 i32 i32)))

  (memory (export "memory") 3)
  (global $p1 (export "p1") (mut i32) (i32.const 0))
  (global $p2 (export "p2") (mut i32) (i32.const 0))

  (global $SET i32 (i32.const 1))
  (global $WAITABLE i32 (i32.const 2))
  ;; a host subtask's: its events come before the others' (wasmtime orders
  ;; a set's ready members host subtasks first)
  (global $HOST_WAITABLE i32 (i32.const 3))
  ;; a stream or future end (the fused component's end stands behind it):
  ;; its events come after the subtasks'
  (global $END i32 (i32.const 4))
  ;; an error context (not a waitable): its refcount at offset 12 counts
  ;; the handles of every component naming it
  (global $CONTEXT i32 (i32.const 5))
  (global $TAG_CONTEXT i32 (i32.const 16))
  ;; per record, the fused component's end or error context behind an END
  ;; or CONTEXT (bit 31: an operation of the end is pending at the host;
  ;; bit 30: the end can no longer move, its reader having been told the
  ;; writer dropped, or a future's value having arrived)
  (global $HOSTS i32 (i32.const 165888))
  (global $TAG_SET i32 (i32.const 8))
  (global $TAG_SUBTASK i32 (i32.const 9))
  (global $RECORDS i32 (i32.const 1024))
  (global $MAX_RECORDS i32 (i32.const 4096))
  ;; after the records; 4097 tasks (the scheduler's limit)
  (global $TASKS i32 (i32.const 132128))

  (func $record (param $n i32) (result i32)
    (i32.add (global.get $RECORDS) (i32.shl (local.get $n) (i32.const 5))))

  (func $task (param $t i32) (result i32)
    (i32.add (global.get $TASKS) (i32.shl (local.get $t) (i32.const 3))))

  (func $new_record (param $kind i32) (param $inst i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (i32.load (i32.const 4)))
    (if (local.get $n)
      (then (i32.store (i32.const 4) (i32.load offset=24 (call $record (local.get $n)))))
      (else
        (local.set $n (i32.add (i32.load (i32.const 0)) (i32.const 1)))
        (if (i32.gt_u (local.get $n) (global.get $MAX_RECORDS)) (then unreachable))
        (i32.store (i32.const 0) (local.get $n))))
    (local.set $r (call $record (local.get $n)))
    (memory.fill (local.get $r) (i32.const 0) (i32.const 32))
    (i32.store (local.get $r) (local.get $kind))
    (i32.store offset=4 (local.get $r) (local.get $inst))
    (local.get $n))

  (func $free_record (param $n i32)
    (local $r i32)
    (local.set $r (call $record (local.get $n)))
    (i32.store (local.get $r) (i32.const 0))
    (i32.store offset=24 (local.get $r) (i32.load (i32.const 4)))
    (i32.store (i32.const 4) (local.get $n)))

  ;; The record a handle of `inst` names, trapping unless its tag is
  ;; within [lo, hi].
  (func $lookup (param $inst i32) (param $h i32) (param $lo i32) (param $hi i32) (result i32)
    (local $tag i32)
    (local.set $tag (call $tag (local.get $inst) (local.get $h)))
    (if (i32.or (i32.lt_u (local.get $tag) (local.get $lo))
                (i32.gt_u (local.get $tag) (local.get $hi)))
      (then unreachable))
    (call $rep (local.get $inst) (local.get $h)))

  ;; --- sets -----------------------------------------------------------
  (func (export "set_new") (param $inst i32) (result i32)
    (local $n i32) (local $h i32)
    (local.set $n (call $new_record (global.get $SET) (local.get $inst)))
    (local.set $h (call $insert (local.get $inst) (global.get $TAG_SET) (local.get $n)))
    (i32.store offset=8 (call $record (local.get $n)) (local.get $h))
    (local.get $h))

  ;; Removes the handle first, then traps if a task waits on the set or a
  ;; waitable is still in it (wasmtime: "resource has children").
  (func (export "set_drop") (param $inst i32) (param $h i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h)
                    (global.get $TAG_SET) (global.get $TAG_SET)))
    (call $remove (local.get $inst) (local.get $h))
    (local.set $r (call $record (local.get $n)))
    (if (i32.load offset=28 (local.get $r)) (then unreachable))
    (if (i32.load offset=20 (local.get $r)) (then unreachable))
    (call $free_record (local.get $n)))

  ;; --- waitables ------------------------------------------------------
  ;; A new waitable of `inst`, without a handle yet (wasmtime gives a
  ;; subtask its handle only when the caller resumes).
  (func (export "waitable_new") (param $inst i32) (result i32)
    (call $new_record (global.get $WAITABLE) (local.get $inst)))

  ;; A new waitable of `inst` for a host subtask.
  (func (export "host_waitable_new") (param $inst i32) (result i32)
    (call $new_record (global.get $HOST_WAITABLE) (local.get $inst)))

  ;; Gives the waitable its handle in its owner's table.
  (func (export "bind") (param $n i32) (result i32)
    (local $r i32) (local $h i32)
    (local.set $r (call $record (local.get $n)))
    (if (i32.load offset=8 (local.get $r)) (then unreachable))
    (local.set $h (call $insert (i32.load offset=4 (local.get $r))
                    (global.get $TAG_SUBTASK) (local.get $n)))
    (i32.store offset=8 (local.get $r) (local.get $h))
    (local.get $h))

  (func (export "waitable_handle") (param $n i32) (result i32)
    (i32.load offset=8 (call $record (local.get $n))))

  ;; The waitable a subtask handle of `inst` names.
  (func (export "subtask") (param $inst i32) (param $h i32) (result i32)
    (call $lookup (local.get $inst) (local.get $h)
      (global.get $TAG_SUBTASK) (global.get $TAG_SUBTASK)))

  ;; Makes the running task the one woken by the waitable's next event.
  (func (export "await_one") (param $n i32)
    (if (i32.eqz (global.get $current)) (then unreachable))
    (i32.store offset=28 (call $record (local.get $n)) (global.get $current)))

  ;; Takes the waitable's own event: its code, the payload in `p2`.
  (func (export "take_one") (param $n i32) (result i32)
    (local $r i32) (local $code i32)
    (local.set $r (call $record (local.get $n)))
    (local.set $code (i32.load offset=12 (local.get $r)))
    (global.set $p1 (i32.load offset=8 (local.get $r)))
    (global.set $p2 (i32.load offset=16 (local.get $r)))
    (i32.store offset=12 (local.get $r) (i32.const 0))
    (local.get $code))

  ;; Leaves its set and frees the record; its handle is the caller's to
  ;; remove.
  (func (export "waitable_free") (param $n i32)
    (call $leave (local.get $n))
    (call $free_record (local.get $n)))

  (func $leave (param $n i32)
    (local $set i32) (local $at i32) (local $next i32)
    (local.set $set (i32.load offset=20 (call $record (local.get $n))))
    (if (i32.eqz (local.get $set)) (then return))
    ;; unlink from the set's member list
    (local.set $at (i32.add (call $record (local.get $set)) (i32.const 20)))
    (block $found
      (loop $scan
        (local.set $next (i32.load (local.get $at)))
        (if (i32.eqz (local.get $next)) (then unreachable))
        (br_if $found (i32.eq (local.get $next) (local.get $n)))
        (local.set $at (i32.add (call $record (local.get $next)) (i32.const 24)))
        (br $scan)))
    (i32.store (local.get $at) (i32.load offset=24 (call $record (local.get $n))))
    (i32.store offset=20 (call $record (local.get $n)) (i32.const 0))
    (i32.store offset=24 (call $record (local.get $n)) (i32.const 0)))

  ;; `waitable.join w s`: `s` 0 leaves the current set. Joining a waitable
  ;; that has a pending event marks the new set ready.
  (func (export "join") (param $inst i32) (param $w i32) (param $s i32)
    (local $n i32) (local $set i32) (local $r i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $w)
                    (global.get $TAG_SUBTASK) (i32.const 15)))
    (if (local.get $s)
      (then (local.set $set (call $lookup (local.get $inst) (local.get $s)
                              (global.get $TAG_SET) (global.get $TAG_SET)))))
    (call $leave (local.get $n))
    (if (i32.eqz (local.get $set)) (then return))
    (local.set $r (call $record (local.get $n)))
    (i32.store offset=20 (local.get $r) (local.get $set))
    ;; append: members stay in creation order only if joined in it, so
    ;; `take` picks the lowest record, not the first member
    (i32.store offset=24 (local.get $r) (i32.load offset=20 (call $record (local.get $set))))
    (i32.store offset=20 (call $record (local.get $set)) (local.get $n))
    (if (i32.load offset=12 (local.get $r))
      (then (call $mark_ready (local.get $set)))))

  ;; Sets a waitable's event (overwriting a pending one).
  (func (export "set_event") (param $n i32) (param $code i32) (param $payload i32)
    (local $r i32)
    (local.set $r (call $record (local.get $n)))
    (i32.store offset=12 (local.get $r) (local.get $code))
    (i32.store offset=16 (local.get $r) (local.get $payload))
    (if (i32.load offset=28 (local.get $r))
      (then
        (call $wake (i32.load offset=28 (local.get $r)) (i32.const 0) (i32.const 1))
        (i32.store offset=28 (local.get $r) (i32.const 0))))
    (if (i32.load offset=20 (local.get $r))
      (then (call $mark_ready (i32.load offset=20 (local.get $r))))))

  (func (export "has_event") (param $n i32) (result i32)
    (i32.ne (i32.load offset=12 (call $record (local.get $n))) (i32.const 0)))

  ;; Whether the set has a member with a pending event.
  (func (export "set_ready") (param $set i32) (result i32)
    (local $m i32)
    (local.set $m (i32.load offset=20 (call $record (local.get $set))))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (local.get $m)))
        (if (i32.load offset=12 (call $record (local.get $m))) (then (return (i32.const 1))))
        (local.set $m (i32.load offset=24 (call $record (local.get $m))))
        (br $scan)))
    (i32.const 0))

  ;; The set record a set handle of `inst` names.
  (func (export "set") (param $inst i32) (param $h i32) (result i32)
    (call $lookup (local.get $inst) (local.get $h) (global.get $TAG_SET) (global.get $TAG_SET)))

  ;; Wakes the set's first waiter, if any.
  (func $mark_ready (param $set i32)
    (local $r i32) (local $t i32)
    (local.set $r (call $record (local.get $set)))
    (local.set $t (i32.load offset=28 (local.get $r)))
    (if (i32.eqz (local.get $t)) (then return))
    (i32.store offset=28 (local.get $r) (i32.load offset=4 (call $task (local.get $t))))
    (i32.store (call $task (local.get $t)) (i32.const 0))
    (call $wake (local.get $t) (i32.const 0) (i32.const 1)))

  ;; --- taking events --------------------------------------------------
  ;; Takes the event of the set's ready member created first: returns its
  ;; code, with the member's handle in `p1` and the payload in `p2`; 0 and
  ;; zeros when none is ready.
  (func (export "take") (param $inst i32) (param $s i32) (result i32)
    (call $take_record (call $lookup (local.get $inst) (local.get $s)
                         (global.get $TAG_SET) (global.get $TAG_SET))))

  ;; The order in which a set's ready members give their events: host
  ;; subtasks first, then by record number.
  (func $order (param $m i32) (result i32)
    (local $kind i32)
    (local.set $kind (i32.load (call $record (local.get $m))))
    (i32.or (local.get $m)
            (select (i32.const 0)
                    (select (i32.const 0x20000) (i32.const 0x10000)
                            (i32.eq (local.get $kind) (global.get $END)))
                    (i32.eq (local.get $kind) (global.get $HOST_WAITABLE)))))

  (func $take_record (export "take_record") (param $set i32) (result i32)
    (local $m i32) (local $best i32) (local $r i32) (local $code i32)
    (local.set $m (i32.load offset=20 (call $record (local.get $set))))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (local.get $m)))
        (if (i32.and (i32.ne (i32.load offset=12 (call $record (local.get $m))) (i32.const 0))
                     (i32.or (i32.eqz (local.get $best))
                             (i32.lt_u (call $order (local.get $m)) (call $order (local.get $best)))))
          (then (local.set $best (local.get $m))))
        (local.set $m (i32.load offset=24 (call $record (local.get $m))))
        (br $scan)))
    (global.set $p1 (i32.const 0))
    (global.set $p2 (i32.const 0))
    (if (i32.eqz (local.get $best)) (then (return (i32.const 0))))
    (local.set $r (call $record (local.get $best)))
    (local.set $code (i32.load offset=12 (local.get $r)))
    (global.set $p1 (i32.load offset=8 (local.get $r)))
    (global.set $p2 (i32.load offset=16 (local.get $r)))
    (i32.store offset=12 (local.get $r) (i32.const 0))
    (local.get $code))

  ;; Removes a task from the waiters of the set it waits on; 0 if it
  ;; waits on none.
  (func (export "unawait") (param $t i32) (result i32)
    (local $set i32) (local $at i32) (local $next i32)
    (local.set $set (i32.load (call $task (local.get $t))))
    (if (i32.eqz (local.get $set)) (then (return (i32.const 0))))
    (local.set $at (i32.add (call $record (local.get $set)) (i32.const 28)))
    (block $found
      (loop $scan
        (local.set $next (i32.load (local.get $at)))
        (if (i32.eqz (local.get $next)) (then unreachable))
        (br_if $found (i32.eq (local.get $next) (local.get $t)))
        (local.set $at (i32.add (call $task (local.get $next)) (i32.const 4)))
        (br $scan)))
    (i32.store (local.get $at) (i32.load offset=4 (call $task (local.get $t))))
    (i32.store (call $task (local.get $t)) (i32.const 0))
    (i32.const 1))

  ;; The set a waitable is in (record; 0: none).
  (func (export "set_of") (param $n i32) (result i32)
    (i32.load offset=20 (call $record (local.get $n))))

  ;; Registers the running task as a waiter of the set (kept in task
  ;; order); the caller then suspends.
  (func (export "await") (param $inst i32) (param $s i32)
    (call $await_record (call $lookup (local.get $inst) (local.get $s)
                          (global.get $TAG_SET) (global.get $TAG_SET))))

  (func $await_record (export "await_record") (param $set i32)
    (local $t i32) (local $at i32) (local $next i32)
    (local.set $t (global.get $current))
    (if (i32.eqz (local.get $t)) (then unreachable))
    (i32.store (call $task (local.get $t)) (local.get $set))
    (local.set $at (i32.add (call $record (local.get $set)) (i32.const 28)))
    (block $here
      (loop $scan
        (local.set $next (i32.load (local.get $at)))
        (br_if $here (i32.or (i32.eqz (local.get $next))
                             (i32.gt_u (local.get $next) (local.get $t))))
        (local.set $at (i32.add (call $task (local.get $next)) (i32.const 4)))
        (br $scan)))
    (i32.store offset=4 (call $task (local.get $t)) (local.get $next))
    (i32.store (local.get $at) (local.get $t)))

  ;; --- stream and future ends -------------------------------------------
  ;; An end of `inst` (tag 10 to 13) standing for the fused component's end
  ;; `host`; its handle.
  (func (export "end_new") (param $inst i32) (param $tag i32) (param $host i32) (result i32)
    (local $n i32) (local $h i32)
    (local.set $n (call $new_record (global.get $END) (local.get $inst)))
    (i32.store (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))) (local.get $host))
    (local.set $h (call $insert (local.get $inst) (local.get $tag) (local.get $n)))
    (i32.store offset=8 (call $record (local.get $n)) (local.get $h))
    (local.get $h))

  ;; The record of end `h` of `inst`, which must be tagged `tag`.
  (func (export "end_record") (param $inst i32) (param $h i32) (param $tag i32) (result i32)
    (call $lookup (local.get $inst) (local.get $h) (local.get $tag) (local.get $tag)))

  ;; The fused component's end behind record `n`.
  (func $end_host (export "end_host") (param $n i32) (result i32)
    (i32.and (i32.load (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))))
             (i32.const 0x3fffffff)))

  ;; Marks whether an operation of end `n` is pending at the host; returns
  ;; whether one was.
  (func (export "end_busy") (param $n i32) (param $on i32) (result i32)
    (local $at i32) (local $old i32)
    (local.set $at (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $old (i32.load (local.get $at)))
    (i32.store (local.get $at)
      (i32.or (i32.and (local.get $old) (i32.const 0x7fffffff))
              (i32.shl (local.get $on) (i32.const 31))))
    (i32.shr_u (local.get $old) (i32.const 31)))

  ;; A read of end `n` ended with `code` (a future's when `future`): a
  ;; DROPPED, or a future's value, pins the end to its component
  ;; (wasmtime: "cannot lift ... after being notified that the writable
  ;; end dropped", "... after previous read succeeded").
  (func (export "end_note") (param $n i32) (param $code i32) (param $future i32)
    (local $at i32)
    (if (i32.eqz (i32.or (i32.eq (i32.and (local.get $code) (i32.const 0xf)) (i32.const 1))
                         (i32.and (local.get $future) (i32.eqz (local.get $code)))))
      (then return))
    (local.set $at (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))))
    (i32.store (local.get $at) (i32.or (i32.load (local.get $at)) (i32.const 0x40000000))))

  ;; The record of readable end `h` of `inst` (tag `tag`), its handle
  ;; removed, for a move to another component or the host. Traps as
  ;; wasmtime's transfer does: an operation pending or its event not yet
  ;; taken, pinned (`end_note`), or in a waitable set.
  (func $end_take (param $inst i32) (param $h i32) (param $tag i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h) (local.get $tag) (local.get $tag)))
    (local.set $r (call $record (local.get $n)))
    (if (i32.or (i32.ge_u (i32.load (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))))
                          (i32.const 0x40000000))
                (i32.or (i32.load offset=12 (local.get $r))
                        (i32.load offset=20 (local.get $r))))
      (then unreachable))
    (call $remove (local.get $inst) (local.get $h))
    (local.get $n))

  ;; Readable end `h` of `from` (tag `tag`) moves to component `to`: its
  ;; handle there.
  (func (export "end_move") (param $from i32) (param $h i32) (param $tag i32) (param $to i32) (result i32)
    (local $n i32) (local $r i32) (local $new i32)
    (local.set $n (call $end_take (local.get $from) (local.get $h) (local.get $tag)))
    (local.set $r (call $record (local.get $n)))
    (local.set $new (call $insert (local.get $to) (local.get $tag) (local.get $n)))
    (i32.store offset=4 (local.get $r) (local.get $to))
    (i32.store offset=8 (local.get $r) (local.get $new))
    (local.get $new))

  ;; Readable end `h` of `from` (tag `tag`) leaves for the host: the fused
  ;; component's end.
  (func (export "end_out") (param $from i32) (param $h i32) (param $tag i32) (result i32)
    (local $n i32) (local $host i32)
    (local.set $n (call $end_take (local.get $from) (local.get $h) (local.get $tag)))
    (local.set $host (call $end_host (local.get $n)))
    (call $free_record (local.get $n))
    (local.get $host))

  ;; --- error contexts --------------------------------------------------
  ;; Error context `host` (the fused component's) comes to `inst`: its
  ;; handle there.
  (func (export "context_new") (param $inst i32) (param $host i32) (result i32)
    (local $n i32)
    (local.set $n (call $new_record (global.get $CONTEXT) (local.get $inst)))
    (i32.store (i32.add (global.get $HOSTS) (i32.shl (local.get $n) (i32.const 2))) (local.get $host))
    (i32.store offset=12 (call $record (local.get $n)) (i32.const 1))
    (call $insert (local.get $inst) (global.get $TAG_CONTEXT) (local.get $n)))

  ;; The fused component's error context behind handle `h` of `inst`.
  (func (export "context_host") (param $inst i32) (param $h i32) (result i32)
    (call $end_host (call $lookup (local.get $inst) (local.get $h)
                      (global.get $TAG_CONTEXT) (global.get $TAG_CONTEXT))))

  ;; Error context `h` of `from` is passed to `to` (a copy: both name it).
  (func (export "context_copy") (param $from i32) (param $h i32) (param $to i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $from) (local.get $h)
                    (global.get $TAG_CONTEXT) (global.get $TAG_CONTEXT)))
    (local.set $r (call $record (local.get $n)))
    (i32.store offset=12 (local.get $r) (i32.add (i32.load offset=12 (local.get $r)) (i32.const 1)))
    (call $insert (local.get $to) (global.get $TAG_CONTEXT) (local.get $n)))

  ;; Drops handle `h` of `inst`: the fused component's error context when
  ;; it was the last handle naming it (to drop), else 0.
  (func (export "context_drop") (param $inst i32) (param $h i32) (result i32)
    (local $n i32) (local $r i32) (local $left i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h)
                    (global.get $TAG_CONTEXT) (global.get $TAG_CONTEXT)))
    (call $remove (local.get $inst) (local.get $h))
    (local.set $r (call $record (local.get $n)))
    (local.set $left (i32.sub (i32.load offset=12 (local.get $r)) (i32.const 1)))
    (i32.store offset=12 (local.get $r) (local.get $left))
    (if (local.get $left) (then (return (i32.const 0))))
    (call $free_record (local.get $n))
    (call $end_host (local.get $n)))

  ;; The end record standing for the fused component's end `host` (0:
  ;; none).
  (func (export "end_find") (param $host i32) (result i32)
    (local $n i32)
    (loop $scan
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (if (i32.gt_u (local.get $n) (i32.load (i32.const 0))) (then (return (i32.const 0))))
      (br_if $scan
        (i32.or (i32.ne (i32.load (call $record (local.get $n))) (global.get $END))
                (i32.ne (call $end_host (local.get $n)) (local.get $host)))))
    (local.get $n))

  ;; End `h` (record `n`) of `inst` is dropped.
  (func (export "end_free") (param $inst i32) (param $h i32) (param $n i32)
    (call $leave (local.get $n))
    (call $remove (local.get $inst) (local.get $h))
    (call $free_record (local.get $n)))
)
