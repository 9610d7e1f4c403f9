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
;;   8            the first spare pair of the fused component's ends
;;                  (`spare_put`; 0: none)
;;   12           bump pointer of the chunks of rows
;;   16           number of chunks of rows made
;;   1024..       DIR: per chunk of 4,096 rows, where it lies, less 128
;;                  bytes times its first row's number (row n is at
;;                  DIR[n >> 12] + 128 n); chunk 0 is CHUNK0, the others
;;                  are made as records and scheduler tasks are (rows never
;;                  move: callers keep their addresses across calls that
;;                  make records)
;;   CHUNK0..     rows of 128 bytes: row n holds record n (n >= 1) and the
;;                  state of scheduler task n.
;;   row + 0      the record, 32 bytes:
;;                  0 kind (0 free, 1 set, 2 waitable)
;;                  4 owner instance, 8 handle in its table
;;                  waitable: 12 event code (0: none), 16 event payload,
;;                            20 its set (0: none), 24 next member of it,
;;                            28 a task waiting on it alone (a caller
;;                            blocked in its call), woken by its next event
;;                  set:      20 first member, 28 first waiter
;;                  error context: 12 the handles naming it
;;   row + 32     HOSTS: the fused component's end or error context behind
;;                  an END or CONTEXT record (bit 31: an operation of the
;;                  end is pending at the host; bit 30: the end can no
;;                  longer move, its reader having been told the writer
;;                  dropped, or a future's value having arrived)
;;   row + 36     ISSUERS: the root task whose host call's turn made the
;;                  end's read pending at the host (`end_issuer`)
;;   row + 40     of scheduler task n, 8 bytes: 0 the set it waits on,
;;                  4 the next waiter of that set
;;   row + 48     of a waitable in a set: the member before it (0: the
;;                  first); of a set: how many entries its heap holds
;;   row + 52     of a waitable: the set whose heap holds it (0: none)
;;   row + 56     a heap's buffer and capacity, kept with the row (the
;;                  next set made on it uses them again): a set's ready
;;                  members, a binary heap of their `order`, least first
;;                  (an entry whose member left the set, or whose event
;;                  was taken, is dropped when it comes to the top), so
;;                  a set of n members gives an event in O(log n)
;;   row + 64     of a subtask's waitable: its scheduler task (`tie`)
;;   row + 64     NATIVE: of a native end, 64 bytes: 0 the other end's
;;                  record, 4 flags (1 writable, 2 future, 4 an operation
;;                  pending, 8 dropped, 16 its event ends an operation,
;;                  32 a future's value went through; 64, of the fused
;;                  component's writable end: a carried write, see
;;                  `end_set_carry`; 128, of the same: its reader is lent
;;                  to the host, see `native_lend`), 8 the pending
;;                  operation's address, 12 its count, 16 the family, 20
;;                  the element size, 24 the side of the pending operation
;;                  (of a carried write: the count carried);
;;                  per record of the fused component's end, 28 the block
;;                  of meld's memory its pending staged copy lies in (0:
;;                  none); of a writer whose reader is lent (flag 128),
;;                  32 the side, 36 the address and 40 the count of its
;;                  last write; of a lent reader (LENT_NATIVE), 44 and 48
;;                  the fused component's writable and readable end that
;;                  stand for it
(module
  (import "tables" "insert" (func $insert (param i32 i32 i32) (result i32)))
  (import "tables" "rep" (func $rep (param i32 i32) (result i32)))
  (import "tables" "tag" (func $tag (param i32 i32) (result i32)))
  (import "tables" "remove" (func $remove (param i32 i32)))
  (import "scheduler" "current" (global $current (mut i32)))
  (import "scheduler" "wake" (func $wake (param i32 i32 i32)))
  ;; `(family, writer's side, address, reader's side, address, k)`:
  ;; copies `k` elements of native family `family` from the writer's
  ;; buffer to the reader's (a side: the built-in that started the
  ;; operation, numbered within its family); traps where wasmtime's copy
  ;; fails
  (import "tables" "copy" (func $copy (param i32 i32 i32 i32 i32 i32)))
  ;; End record `n`'s writer takes its event while its carried write
  ;; (`end_set_carry`) is still pending at the host: ends that write at
  ;; the host and returns the event's payload (what the inner reader and
  ;; the host took)
  (import "tables" "carried" (func $carried (param i32) (result i32)))

  (memory (export "memory") 9)
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
  ;; an end of a stream or future meld carries itself (both ends inside
  ;; the fused module, a payload wasmtime would not copy within one
  ;; instance): its state at NATIVE
  (global $NATIVE_KIND i32 (i32.const 6))
  ;; the fused component's end behind a readable end a staged write lent
  ;; to the host until the write is settled (`end_lend`): no built-in acts
  ;; on it meanwhile, and no event finds it
  (global $LENT i32 (i32.const 7))
  ;; meld's own readable end lent to a staged write to the host
  ;; (`native_lend`): no built-in acts on it meanwhile
  (global $LENT_NATIVE i32 (i32.const 8))
  ;; a pair of the fused component's ends kept for the next lend of its
  ;; family (`spare_put`): HOSTS the readable end, NATIVE 0 the writable
  ;; end, 4 the next spare, 16 the family
  (global $SPARE i32 (i32.const 9))
  (global $SPARES i32 (i32.const 8))
  (global $TAG_SET i32 (i32.const 8))
  (global $TAG_SUBTASK i32 (i32.const 9))
  ;; 4,096 chunks of 4,096 rows (16 KiB of directory)
  (global $MAX_RECORDS i32 (i32.const 16777215))
  ;; the bump pointer (CHUNK0 + 512 KiB), one chunk
  (data (i32.const 12) "\00\44\08\00\01\00\00\00")
  (data (i32.const 1024) "\00\44\00\00") ;; DIR[0] = CHUNK0 (17408)

  (func $record (param $n i32) (result i32) ;; inline
    (i32.add (i32.load offset=1024 (i32.shl (i32.shr_u (local.get $n) (i32.const 12))
                                            (i32.const 2)))
             (i32.shl (local.get $n) (i32.const 7))))
  ;; (the same, for a record computed by a call)
  (func $record_at (param $n i32) (result i32)
    (call $record (local.get $n)))

  (func $task (param $t i32) (result i32) ;; inline
    (i32.add (call $record (local.get $t)) (i32.const 40)))

  ;; `size` bytes of this memory, which grows as needed.
  (func $alloc (param $size i32) (result i32)
    (local $at i32) (local $end i32)
    (local.set $at (i32.load (i32.const 12)))
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
    (i32.store (i32.const 12) (local.get $end))
    (local.get $at))

  ;; Makes the chunks of rows up to row `n`'s.
  (func $room (param $n i32)
    (local $k i32)
    (local.set $k (i32.shr_u (local.get $n) (i32.const 12)))
    (if (i32.ge_u (local.get $k) (i32.const 4096)) (then unreachable))
    (loop $more
      (if (i32.ge_u (local.get $k) (i32.load (i32.const 16)))
        (then
          (i32.store offset=1024 (i32.shl (i32.load (i32.const 16)) (i32.const 2))
            (i32.sub (call $alloc (i32.const 524288))
                     (i32.shl (i32.load (i32.const 16)) (i32.const 19))))
          (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
          (br $more)))))

  ;; The scheduler made task `t` (tasks.wat): its row is made.
  (func (export "task_room") (param $t i32)
    (call $room (local.get $t)))

  (func $new_record (param $kind i32) (param $inst i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (i32.load (i32.const 4)))
    (if (local.get $n)
      (then (i32.store (i32.const 4) (i32.load offset=24 (call $record (local.get $n)))))
      (else
        (local.set $n (i32.add (i32.load (i32.const 0)) (i32.const 1)))
        (if (i32.gt_u (local.get $n) (global.get $MAX_RECORDS)) (then unreachable))
        (call $room (local.get $n))
        (i32.store (i32.const 0) (local.get $n))))
    (local.set $r (call $record (local.get $n)))
    (memory.fill (local.get $r) (i32.const 0) (i32.const 32))
    (i64.store offset=48 (local.get $r) (i64.const 0))
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

  ;; Subtask waitable `n` is that of scheduler task `task` (tasks.wat's
  ;; `task_of` finds it in O(1); a subtask's row has no NATIVE part).
  (func (export "tie") (param $n i32) (param $task i32)
    (i32.store offset=64 (call $record (local.get $n)) (local.get $task)))

  (func (export "tied") (param $n i32) (result i32)
    (i32.load offset=64 (call $record (local.get $n))))

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
    (call $settle_carry (local.get $n))
    (local.set $r (call $record (local.get $n)))
    (local.set $code (i32.load offset=12 (local.get $r)))
    (global.set $p1 (i32.load offset=8 (local.get $r)))
    (global.set $p2 (i32.load offset=16 (local.get $r)))
    (i32.store offset=12 (local.get $r) (i32.const 0))
    (if (local.get $code) (then (call $delivered (local.get $n))))
    (local.get $code))

  ;; Leaves its set and frees the record; its handle is the caller's to
  ;; remove.
  (func (export "waitable_free") (param $n i32)
    (call $leave (local.get $n))
    (call $free_record (local.get $n)))

  (func $leave (param $n i32)
    (local $r i32) (local $set i32) (local $prev i32) (local $next i32)
    (local.set $r (call $record (local.get $n)))
    (local.set $set (i32.load offset=20 (local.get $r)))
    (if (i32.eqz (local.get $set)) (then return))
    ;; unlink from the set's member list (its heap keeps a stale entry)
    (local.set $prev (i32.load offset=48 (local.get $r)))
    (local.set $next (i32.load offset=24 (local.get $r)))
    (if (local.get $prev)
      (then (i32.store offset=24 (call $record (local.get $prev)) (local.get $next)))
      (else (i32.store offset=20 (call $record (local.get $set)) (local.get $next))))
    (if (local.get $next)
      (then (i32.store offset=48 (call $record (local.get $next)) (local.get $prev))))
    (i32.store offset=20 (local.get $r) (i32.const 0))
    (i32.store offset=24 (local.get $r) (i32.const 0))
    (i64.store offset=48 (local.get $r) (i64.const 0)))

  ;; `waitable.join w s`: `s` 0 leaves the current set. Joining a waitable
  ;; that has a pending event marks the new set ready. An end with an
  ;; operation pending at the host is in the host's set exactly while it
  ;; is in one of its component's (its event is taken from the host only
  ;; when someone can take it here): `p1` the fused component's end to
  ;; join to the host's set (`p2` 1) or to take out of it (`p2` 0), 0
  ;; for none.
  (func (export "join") (param $inst i32) (param $w i32) (param $s i32)
    (local $n i32) (local $set i32) (local $r i32) (local $first i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $w)
                    (global.get $TAG_SUBTASK) (i32.const 15)))
    (global.set $p1 (i32.const 0))
    (if (i32.and (i32.eq (i32.load (call $record (local.get $n))) (global.get $END))
                 (i32.lt_s (i32.load (call $hosts_at (local.get $n))) (i32.const 0)))
      (then
        (global.set $p1 (call $end_host (local.get $n)))
        (global.set $p2 (i32.ne (local.get $s) (i32.const 0)))))
    (if (local.get $s)
      (then (local.set $set (call $lookup (local.get $inst) (local.get $s)
                              (global.get $TAG_SET) (global.get $TAG_SET)))))
    ;; a lent end cannot join a set (the host's lift would then trap)
    (if (i32.or (i32.eq (i32.load (call $record (local.get $n))) (global.get $LENT))
                (i32.eq (i32.load (call $record (local.get $n))) (global.get $LENT_NATIVE)))
      (then unreachable))
    (call $leave (local.get $n))
    (if (i32.eqz (local.get $set)) (then return))
    (local.set $r (call $record (local.get $n)))
    (i32.store offset=20 (local.get $r) (local.get $set))
    ;; first in the member list (`take` picks by `order`, from the heap)
    (local.set $first (i32.load offset=20 (call $record (local.get $set))))
    (i32.store offset=24 (local.get $r) (local.get $first))
    (if (local.get $first)
      (then (i32.store offset=48 (call $record (local.get $first)) (local.get $n))))
    (i32.store offset=20 (call $record (local.get $set)) (local.get $n))
    (if (i32.load offset=12 (local.get $r))
      (then (call $mark_ready (local.get $set) (local.get $n)))))

  ;; Sets a waitable's event (overwriting a pending one).
  (func $set_event_record (export "set_event") (param $n i32) (param $code i32) (param $payload i32)
    (local $r i32)
    (local.set $r (call $record (local.get $n)))
    (i32.store offset=12 (local.get $r) (local.get $code))
    (i32.store offset=16 (local.get $r) (local.get $payload))
    (if (i32.load offset=28 (local.get $r))
      (then
        (call $wake (i32.load offset=28 (local.get $r)) (i32.const 0) (i32.const 1))
        (i32.store offset=28 (local.get $r) (i32.const 0))))
    (if (i32.load offset=20 (local.get $r))
      (then (call $mark_ready (i32.load offset=20 (local.get $r)) (local.get $n)))))

  (func (export "has_event") (param $n i32) (result i32)
    (i32.ne (i32.load offset=12 (call $record (local.get $n))) (i32.const 0)))

  ;; Whether the set has a member with a pending event.
  (func (export "set_ready") (param $set i32) (result i32)
    (i32.ne (call $first_ready (local.get $set)) (i32.const 0)))

  ;; The set record a set handle of `inst` names.
  (func (export "set") (param $inst i32) (param $h i32) (result i32)
    (call $lookup (local.get $inst) (local.get $h) (global.get $TAG_SET) (global.get $TAG_SET)))

  ;; Member `m` of the set has an event: it goes into the set's heap
  ;; (unless it is there), and the set's first waiter, if any, is woken.
  (func $mark_ready (param $set i32) (param $m i32)
    (local $r i32) (local $t i32)
    (call $heap_push (local.get $set) (local.get $m))
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
  ;; subtasks first, then subtasks, then ends, each by record number
  ;; (below 2^24).
  (func $order (param $m i32) (result i32)
    (local $kind i32)
    (local.set $kind (i32.load (call $record (local.get $m))))
    (i32.or (local.get $m)
            (select (i32.const 0)
                    (select (i32.const 0x2000000) (i32.const 0x1000000)
                            (i32.or (i32.eq (local.get $kind) (global.get $END))
                                    (i32.eq (local.get $kind) (global.get $NATIVE_KIND))))
                    (i32.eq (local.get $kind) (global.get $HOST_WAITABLE)))))

  ;; The set's ready member that comes first in `order` (0: none), at the
  ;; top of its heap; the stale entries above it are dropped.
  (func $first_ready (param $set i32) (result i32)
    (local $r i32) (local $key i32) (local $m i32) (local $mr i32)
    (local.set $r (call $record (local.get $set)))
    (loop $next
      (if (i32.eqz (i32.load offset=48 (local.get $r))) (then (return (i32.const 0))))
      (local.set $key (i32.load (i32.load offset=56 (local.get $r))))
      (local.set $m (i32.and (local.get $key) (i32.const 0xffffff)))
      (local.set $mr (call $record (local.get $m)))
      (if (i32.and (i32.and (i32.eq (i32.load offset=20 (local.get $mr)) (local.get $set))
                            (i32.ne (i32.load offset=12 (local.get $mr)) (i32.const 0)))
                   (i32.eq (call $order (local.get $m)) (local.get $key)))
        (then (return (local.get $m))))
      (call $heap_pop (local.get $set) (local.get $m))
      (br $next))
    (unreachable))

  ;; Adds member `m` to the set's heap, unless it is there.
  (func $heap_push (param $set i32) (param $m i32)
    (local $r i32) (local $size i32) (local $buf i32) (local $i i32) (local $p i32)
    (local $key i32) (local $pk i32) (local $cap i32)
    (if (i32.eq (i32.load offset=52 (call $record (local.get $m))) (local.get $set))
      (then return))
    (i32.store offset=52 (call $record (local.get $m)) (local.get $set))
    (local.set $r (call $record (local.get $set)))
    (local.set $size (i32.load offset=48 (local.get $r)))
    (local.set $cap (i32.load offset=60 (local.get $r)))
    (if (i32.ge_u (local.get $size) (local.get $cap))
      (then
        ;; full: a buffer twice as large (16 entries at first)
        (local.set $cap (select (i32.shl (local.get $cap) (i32.const 1)) (i32.const 16)
                                (local.get $cap)))
        (local.set $buf (call $alloc (i32.shl (local.get $cap) (i32.const 2))))
        (memory.copy (local.get $buf) (i32.load offset=56 (local.get $r))
                     (i32.shl (local.get $size) (i32.const 2)))
        (i32.store offset=56 (local.get $r) (local.get $buf))
        (i32.store offset=60 (local.get $r) (local.get $cap))))
    (local.set $buf (i32.load offset=56 (local.get $r)))
    (local.set $key (call $order (local.get $m)))
    (local.set $i (local.get $size))
    (i32.store offset=48 (local.get $r) (i32.add (local.get $size) (i32.const 1)))
    (block $placed
      (loop $up
        (br_if $placed (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pk (i32.load (i32.add (local.get $buf) (i32.shl (local.get $p) (i32.const 2)))))
        (br_if $placed (i32.le_u (local.get $pk) (local.get $key)))
        (i32.store (i32.add (local.get $buf) (i32.shl (local.get $i) (i32.const 2))) (local.get $pk))
        (local.set $i (local.get $p))
        (br $up)))
    (i32.store (i32.add (local.get $buf) (i32.shl (local.get $i) (i32.const 2))) (local.get $key)))

  ;; Removes the top of the set's heap, an entry of member `m`.
  (func $heap_pop (param $set i32) (param $m i32)
    (local $r i32) (local $size i32) (local $buf i32) (local $i i32) (local $c i32)
    (local $key i32) (local $ck i32) (local $other i32)
    (if (i32.eq (i32.load offset=52 (call $record (local.get $m))) (local.get $set))
      (then (i32.store offset=52 (call $record (local.get $m)) (i32.const 0))))
    (local.set $r (call $record (local.get $set)))
    (local.set $size (i32.sub (i32.load offset=48 (local.get $r)) (i32.const 1)))
    (i32.store offset=48 (local.get $r) (local.get $size))
    (local.set $buf (i32.load offset=56 (local.get $r)))
    ;; the last entry sinks from the top
    (local.set $key (i32.load (i32.add (local.get $buf) (i32.shl (local.get $size) (i32.const 2)))))
    (block $placed
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $placed (i32.ge_u (local.get $c) (local.get $size)))
        (local.set $ck (i32.load (i32.add (local.get $buf) (i32.shl (local.get $c) (i32.const 2)))))
        (if (i32.lt_u (i32.add (local.get $c) (i32.const 1)) (local.get $size))
          (then
            (local.set $other
              (i32.load offset=4 (i32.add (local.get $buf) (i32.shl (local.get $c) (i32.const 2)))))
            (if (i32.lt_u (local.get $other) (local.get $ck))
              (then
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (local.set $ck (local.get $other))))))
        (br_if $placed (i32.le_u (local.get $key) (local.get $ck)))
        (i32.store (i32.add (local.get $buf) (i32.shl (local.get $i) (i32.const 2))) (local.get $ck))
        (local.set $i (local.get $c))
        (br $down)))
    (i32.store (i32.add (local.get $buf) (i32.shl (local.get $i) (i32.const 2))) (local.get $key)))

  (func $take_record (export "take_record") (param $set i32) (result i32)
    (local $best i32) (local $r i32) (local $code i32)
    (local.set $best (call $first_ready (local.get $set)))
    (global.set $p1 (i32.const 0))
    (global.set $p2 (i32.const 0))
    (if (i32.eqz (local.get $best)) (then (return (i32.const 0))))
    (call $heap_pop (local.get $set) (local.get $best))
    (call $settle_carry (local.get $best))
    (local.set $r (call $record (local.get $best)))
    (local.set $code (i32.load offset=12 (local.get $r)))
    (global.set $p1 (i32.load offset=8 (local.get $r)))
    (global.set $p2 (i32.load offset=16 (local.get $r)))
    (i32.store offset=12 (local.get $r) (i32.const 0))
    (call $delivered (local.get $best))
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

  ;; Whether someone can take the waitable's next event: it is in a set,
  ;; or a task waits on it alone.
  (func (export "watched") (param $n i32) (result i32)
    (i32.or (i32.ne (i32.load offset=20 (call $record (local.get $n))) (i32.const 0))
            (i32.ne (i32.load offset=28 (call $record (local.get $n))) (i32.const 0))))

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
    (i32.store (call $hosts_at (local.get $n)) (local.get $host))
    ;; (a record used before may have been freed with a read pending)
    (i32.store (call $issuer_at (local.get $n)) (i32.const 0))
    (i32.store offset=4 (call $nat (local.get $n)) (i32.const 0))
    (local.set $h (call $insert (local.get $inst) (local.get $tag) (local.get $n)))
    (i32.store offset=8 (call $record (local.get $n)) (local.get $h))
    (local.get $h))

  ;; The record of end `h` of `inst`, which must be tagged `tag` and be of
  ;; `family`: -1, the fused component's end (END); else meld's own end
  ;; (NATIVE) of that family, or with bit 31 set (a bridged family, whose
  ;; type reaches the host) either. Traps otherwise (wasmtime: "handle is
  ;; a stream of a different type"), so that a built-in never acts on an
  ;; end of another type, whose copy would use other built-ins' memories.
  (func $end_of (export "end_record") (param $inst i32) (param $h i32) (param $tag i32) (param $family i32) (result i32)
    (local $n i32) (local $kind i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h) (local.get $tag) (local.get $tag)))
    (local.set $kind (i32.load (call $record (local.get $n))))
    (if (i32.eq (local.get $family) (i32.const -1))
      (then
        (if (i32.ne (local.get $kind) (global.get $END)) (then unreachable)))
      (else
        (if (i32.and (i32.lt_s (local.get $family) (i32.const 0))
                     (i32.eq (local.get $kind) (global.get $END)))
          (then (return (local.get $n))))
        (if (i32.or (i32.ne (local.get $kind) (global.get $NATIVE_KIND))
                    (i32.ne (i32.load offset=16 (call $nat (local.get $n)))
                            (i32.and (local.get $family) (i32.const 0x7fffffff))))
          (then unreachable))))
    (local.get $n))

  ;; Whether end `h` of `inst` (tagged `tag`) is meld's own (NATIVE), for
  ;; the built-ins of a bridged family.
  (func (export "end_native") (param $inst i32) (param $h i32) (param $tag i32) (result i32)
    (i32.eq (i32.load (call $record_at (call $lookup (local.get $inst) (local.get $h)
                                       (local.get $tag) (local.get $tag))))
            (global.get $NATIVE_KIND)))

  ;; The fused component's end behind record `n`.
  (func $end_host (export "end_host") (param $n i32) (result i32)
    (i32.and (i32.load (call $hosts_at (local.get $n)))
             (i32.const 0x3fffffff)))

  ;; Marks whether an operation of end `n` is pending at the host; returns
  ;; whether one was.
  (func (export "end_busy") (param $n i32) (param $on i32) (result i32)
    (local $at i32) (local $old i32)
    (local.set $at (call $hosts_at (local.get $n)))
    (local.set $old (i32.load (local.get $at)))
    (i32.store (local.get $at)
      (i32.or (i32.and (local.get $old) (i32.const 0x7fffffff))
              (i32.shl (local.get $on) (i32.const 31))))
    (i32.shr_u (local.get $old) (i32.const 31)))

  ;; The root task in whose host call's turn end `n`'s read pending at the
  ;; host was made (0: none, or not a root task's turn) becomes `task`;
  ;; returns the one before. wasmtime lowers what the host writes into the
  ;; read with that call's thread current, so the task does not exit until
  ;; the read ends (the generated code's `HOLD_SLOT`).
  (func (export "end_issuer") (param $n i32) (param $task i32) (result i32)
    (local $at i32) (local $old i32)
    (local.set $at (call $issuer_at (local.get $n)))
    (local.set $old (i32.load (local.get $at)))
    (i32.store (local.get $at) (local.get $task))
    (local.get $old))

  ;; A read of end `n` ended with `code` (a future's when `future`): a
  ;; DROPPED, or a future's value, pins the end to its component
  ;; (wasmtime: "cannot lift ... after being notified that the writable
  ;; end dropped", "... after previous read succeeded").
  (func (export "end_note") (param $n i32) (param $code i32) (param $future i32)
    (local $at i32)
    (if (i32.eqz (i32.or (i32.eq (i32.and (local.get $code) (i32.const 0xf)) (i32.const 1))
                         (i32.and (local.get $future) (i32.eqz (local.get $code)))))
      (then return))
    (local.set $at (call $hosts_at (local.get $n)))
    (i32.store (local.get $at) (i32.or (i32.load (local.get $at)) (i32.const 0x40000000))))

  ;; The record of readable end `h` of `inst` (tag `tag`), its handle
  ;; removed, for a move to another component or the host. Traps as
  ;; wasmtime's transfer does: an operation pending or its event not yet
  ;; taken, pinned (`end_note`), or in a waitable set. (A stale event of
  ;; meld's own end, its writer's drop told while nothing was pending,
  ;; goes with it: wasmtime keeps events with the end.)
  (func $end_take (param $inst i32) (param $h i32) (param $tag i32) (param $family i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $end_of (local.get $inst) (local.get $h) (local.get $tag) (local.get $family)))
    (local.set $r (call $record (local.get $n)))
    (if (i32.or (i32.ge_u (i32.load (call $hosts_at (local.get $n)))
                          (i32.const 0x40000000))
                (i32.or (i32.and (i32.ne (i32.load offset=12 (local.get $r)) (i32.const 0))
                                 (i32.ne (i32.load (local.get $r)) (global.get $NATIVE_KIND)))
                        (i32.load offset=20 (local.get $r))))
      (then unreachable))
    (call $remove (local.get $inst) (local.get $h))
    (local.get $n))

  ;; Readable end `h` of `from` (tag `tag`, `family` as for `end_record`)
  ;; moves to component `to`: its handle there.
  (func (export "end_move") (param $from i32) (param $h i32) (param $tag i32) (param $family i32) (param $to i32) (result i32)
    (local $n i32) (local $r i32) (local $new i32)
    (local.set $n (call $end_take (local.get $from) (local.get $h) (local.get $tag) (local.get $family)))
    (local.set $r (call $record (local.get $n)))
    (local.set $new (call $insert (local.get $to) (local.get $tag) (local.get $n)))
    (i32.store offset=4 (local.get $r) (local.get $to))
    (i32.store offset=8 (local.get $r) (local.get $new))
    (local.get $new))

  ;; Readable end `h` of `from` (tag `tag`) leaves for the host: the fused
  ;; component's end.
  (func (export "end_out") (param $from i32) (param $h i32) (param $tag i32) (result i32)
    (local $n i32) (local $host i32)
    ;; the fused component's end only (meld's own never reach the host)
    (local.set $n (call $end_take (local.get $from) (local.get $h) (local.get $tag) (i32.const -1)))
    (local.set $host (call $end_host (local.get $n)))
    (call $free_record (local.get $n))
    (local.get $host))

  ;; Readable end `h` of `from` (tag `tag`, the fused component's end) is
  ;; lent to a staged write to the host until the write is settled: the
  ;; fused component's end, for the host to take; or 0, which the host's
  ;; lift rejects, when `end_out` could not move it (an operation pending
  ;; or its event not taken, pinned, in a set, or lent already): wasmtime
  ;; lifts a written end when the host reads it, and traps then.
  (func (export "end_lend") (param $from i32) (param $h i32) (param $tag i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $from) (local.get $h) (local.get $tag) (local.get $tag)))
    (local.set $r (call $record (local.get $n)))
    (if (i32.ne (i32.load (local.get $r)) (global.get $END))
      (then
        (if (i32.or (i32.eq (i32.load (local.get $r)) (global.get $LENT))
                    (i32.eq (i32.load (local.get $r)) (global.get $LENT_NATIVE)))
          (then (return (i32.const 0))))
        unreachable))
    (if (i32.or (i32.ge_u (i32.load (call $hosts_at (local.get $n))) (i32.const 0x40000000))
                (i32.or (i32.load offset=12 (local.get $r)) (i32.load offset=20 (local.get $r))))
      (then (return (i32.const 0))))
    (i32.store (local.get $r) (global.get $LENT))
    (call $end_host (local.get $n)))

  ;; The staged write that lent end `h` of `inst` (tag `tag`) to the host
  ;; is settled: `taken` by the host, the end leaves `inst`'s table; else
  ;; it is the component's again.
  (func (export "end_settle") (param $inst i32) (param $h i32) (param $tag i32) (param $taken i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h) (local.get $tag) (local.get $tag)))
    (local.set $r (call $record (local.get $n)))
    (if (i32.ne (i32.load (local.get $r)) (global.get $LENT)) (then unreachable))
    (if (local.get $taken)
      (then
        (call $remove (local.get $inst) (local.get $h))
        (call $free_record (local.get $n)))
      (else (i32.store (local.get $r) (global.get $END)))))

  ;; --- error contexts --------------------------------------------------
  ;; Error context `host` (the fused component's) comes to `inst`: its
  ;; handle there.
  (func (export "context_new") (param $inst i32) (param $host i32) (result i32)
    (local $n i32)
    (local.set $n (call $new_record (global.get $CONTEXT) (local.get $inst)))
    (i32.store (call $hosts_at (local.get $n)) (local.get $host))
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

  ;; The block of end record `n`'s pending staged copy (0: none), and
  ;; setting it.
  (func (export "end_stage") (param $n i32) (result i32)
    (i32.load offset=28 (call $nat (local.get $n))))
  (func (export "end_set_stage") (param $n i32) (param $block i32)
    (i32.store offset=28 (call $nat (local.get $n)) (local.get $block)))

  ;; End `h` (record `n`) of `inst` is dropped. A writer whose reader is
  ;; lent to the host (`native_lend`) stays, as meld's own dropped
  ;; writer, until the lend is settled; the reader is told.
  (func (export "end_free") (param $inst i32) (param $h i32) (param $n i32)
    (local $reader i32)
    (call $leave (local.get $n))
    (call $remove (local.get $inst) (local.get $h))
    (if (i32.eqz (i32.and (i32.eq (i32.load (call $record (local.get $n))) (global.get $END))
                          (call $flag (local.get $n) (i32.const 128))))
      (then
        (call $free_record (local.get $n))
        return))
    (i32.store (call $record (local.get $n)) (global.get $NATIVE_KIND))
    (i32.store (call $hosts_at (local.get $n)) (i32.const 0))
    (call $set_flag (local.get $n) (i32.const 0xc0) (i32.const 0))
    (call $set_flag (local.get $n) (i32.const 8) (i32.const 1))
    (local.set $reader (i32.load (call $nat (local.get $n))))
    (if (i32.eqz (i32.load offset=12 (call $record (local.get $reader))))
      (then (call $set_event_record (local.get $reader) (call $event_code (local.get $reader))
              (i32.const 1)))))

  ;; --- native streams and futures ---------------------------------------
  ;; Both ends of these are inner components' (wasmtime refuses to copy
  ;; their payloads within the one fused instance), so meld carries them
  ;; as wasmtime 48 does between two instances (docs/async-streams-
  ;; semantics.md §3, §8). Codes: BLOCKED -1, COMPLETED(n) n << 4,
  ;; DROPPED(n) n << 4 | 1, CANCELLED(n) n << 4 | 2. The busy and pinned
  ;; bits are those of HOSTS, as for the fused component's ends.
  (func $nat (param $n i32) (result i32) ;; inline
    (i32.add (call $record (local.get $n)) (i32.const 64)))

  (func $hosts_at (param $n i32) (result i32) ;; inline
    (i32.add (call $record (local.get $n)) (i32.const 32)))

  (func $issuer_at (param $n i32) (result i32) ;; inline
    (i32.add (call $record (local.get $n)) (i32.const 36)))

  (func $flag (param $n i32) (param $f i32) (result i32) ;; inline
    (i32.ne (i32.and (i32.load offset=4 (call $nat (local.get $n))) (local.get $f)) (i32.const 0)))

  (func $set_flag (param $n i32) (param $f i32) (param $on i32)
    (local $a i32) (local $old i32)
    (local.set $a (call $nat (local.get $n)))
    (local.set $old (i32.load offset=4 (local.get $a)))
    (i32.store offset=4 (local.get $a)
      (select (i32.or (local.get $old) (local.get $f))
              (i32.and (local.get $old) (i32.xor (local.get $f) (i32.const -1)))
              (local.get $on))))

  (func $busy (param $n i32) (result i32) ;; inline
    (i32.ge_u (i32.load (call $hosts_at (local.get $n))) (i32.const 0x80000000)))

  ;; The end's operation ended with `code`: not busy; a DROPPED pins a
  ;; writer and a stream's reader (wasmtime: `Write{done}`,
  ;; `Read{done: dropped && stream}`); a future's pin stays.
  (func $settle (param $n i32) (param $code i32)
    (local $pin i32)
    (local.set $pin
      (i32.and (i32.eq (i32.and (local.get $code) (i32.const 0xf)) (i32.const 1))
               (i32.or (call $flag (local.get $n) (i32.const 1))
                       (i32.eqz (call $flag (local.get $n) (i32.const 2))))))
    (i32.store (call $hosts_at (local.get $n))
      (i32.or (i32.and (i32.load (call $hosts_at (local.get $n))) (i32.const 0x40000000))
              (i32.shl (local.get $pin) (i32.const 30)))))

  ;; a future's value went through (or its writer saw the reader drop):
  ;; neither end can read, write or move again
  (func $transmitted (param $n i32)
    (local $p i32)
    (local.set $p (i32.load (call $nat (local.get $n))))
    (call $set_flag (local.get $n) (i32.const 32) (i32.const 1))
    (call $set_flag (local.get $p) (i32.const 32) (i32.const 1))
    (i32.store (call $hosts_at (local.get $n))
      (i32.or (i32.load (call $hosts_at (local.get $n))) (i32.const 0x40000000)))
    (i32.store (call $hosts_at (local.get $p))
      (i32.or (i32.load (call $hosts_at (local.get $p))) (i32.const 0x40000000))))

  (func $native_init (param $n i32) (param $peer i32) (param $flags i32) (param $family i32) (param $size i32)
    (local $a i32)
    (local.set $a (call $nat (local.get $n)))
    (memory.fill (local.get $a) (i32.const 0) (i32.const 64))
    (i32.store (local.get $a) (local.get $peer))
    (i32.store offset=4 (local.get $a) (local.get $flags))
    (i32.store offset=16 (local.get $a) (local.get $family))
    (i32.store offset=20 (local.get $a) (local.get $size))
    (i32.store (call $hosts_at (local.get $n)) (i32.const 0)))

  ;; `stream.new`/`future.new` of native family `family` in `inst`
  ;; (elements of `size` bytes): the writable end's handle << 32 | the
  ;; readable end's. wasmtime numbers the writable end's id first and
  ;; gives the readable end its handle first.
  (func (export "native_new") (param $inst i32) (param $family i32) (param $future i32) (param $size i32) (result i64)
    (local $w i32) (local $r i32) (local $hr i32) (local $hw i32)
    (local.set $w (call $new_record (global.get $NATIVE_KIND) (local.get $inst)))
    (local.set $r (call $new_record (global.get $NATIVE_KIND) (local.get $inst)))
    (call $native_init (local.get $w) (local.get $r)
      (i32.or (i32.const 1) (i32.shl (local.get $future) (i32.const 1)))
      (local.get $family) (local.get $size))
    (call $native_init (local.get $r) (local.get $w)
      (i32.shl (local.get $future) (i32.const 1)) (local.get $family) (local.get $size))
    (local.set $hr (call $insert (local.get $inst)
                     (select (i32.const 12) (i32.const 10) (local.get $future)) (local.get $r)))
    (i32.store offset=8 (call $record (local.get $r)) (local.get $hr))
    (local.set $hw (call $insert (local.get $inst)
                     (select (i32.const 13) (i32.const 11) (local.get $future)) (local.get $w)))
    (i32.store offset=8 (call $record (local.get $w)) (local.get $hw))
    (i64.or (i64.extend_i32_u (local.get $hr))
            (i64.shl (i64.extend_i32_u (local.get $hw)) (i64.const 32))))

  (func $pend (param $n i32) (param $ptr i32) (param $count i32) (param $side i32)
    (local $a i32)
    (local.set $a (call $nat (local.get $n)))
    (call $set_flag (local.get $n) (i32.const 4) (i32.const 1))
    (i32.store offset=8 (local.get $a) (local.get $ptr))
    (i32.store offset=12 (local.get $a) (local.get $count))
    (i32.store offset=24 (local.get $a) (local.get $side)))

  ;; The event code of end `n`: 2 stream read, 3 stream write, 4 future
  ;; read, 5 future write.
  (func $event_code (param $n i32) (result i32)
    (i32.add (i32.const 2)
      (i32.add (call $flag (local.get $n) (i32.const 1))
               (i32.shl (call $flag (local.get $n) (i32.const 2)) (i32.const 1)))))

  ;; A read or write (`write` comes from the end's kind) of `count`
  ;; elements at `ptr` on end `h` of `inst` (tag `tag`), started by the
  ;; built-in numbered `side` in its family; `sync`: a blocking variant
  ;; (traps if it blocks while the end is in a waitable set). The code.
  (func (export "native_op") (param $inst i32) (param $h i32) (param $tag i32) (param $family i32)
                             (param $ptr i32) (param $count i32) (param $sync i32) (param $side i32)
                             (result i32)
    (local $e i32) (local $p i32) (local $code i32)
    (local.set $e (call $end_of (local.get $inst) (local.get $h) (local.get $tag) (local.get $family)))
    ;; "cannot have concurrent operations active on a future/stream"
    (if (call $busy (local.get $e)) (then unreachable))
    ;; "cannot read/write after being notified that the other end
    ;; dropped", "... after previous read/write succeeded"
    (if (i32.and (i32.load (call $hosts_at (local.get $e))) (i32.const 0x40000000)) (then unreachable))
    (i32.store (call $hosts_at (local.get $e)) (i32.const 0x80000000))
    (local.set $p (i32.load (call $nat (local.get $e))))
    (if (call $flag (local.get $p) (i32.const 8))
      (then
        ;; the other end dropped
        (if (i32.and (call $flag (local.get $e) (i32.const 2)) (call $flag (local.get $e) (i32.const 1)))
          (then (call $transmitted (local.get $e))))
        (local.set $code (i32.const 1)))
      (else
        (if (call $flag (local.get $p) (i32.const 4))
          (then (local.set $code (call $rendezvous (local.get $e) (local.get $ptr) (local.get $count)
                                   (local.get $side) (local.get $p))))
          (else
            (call $pend (local.get $e) (local.get $ptr) (local.get $count) (local.get $side))
            (local.set $code (i32.const -1))))))
    (if (i32.eq (local.get $code) (i32.const -1))
      (then
        (if (i32.and (local.get $sync) (i32.ne (i32.load offset=20 (call $record (local.get $e))) (i32.const 0)))
          (then unreachable)))
      (else (call $settle (local.get $e) (local.get $code))))
    (local.get $code))

  ;; New operation `e` (`ptr`, `count`, `side`) meets the pending one of
  ;; `p`: the copy, `p`'s event, what stays pending; `e`'s code.
  (func $rendezvous (param $e i32) (param $ptr i32) (param $count i32) (param $side i32) (param $p i32) (result i32)
    (local $pa i32) (local $writes i32) (local $wn i32) (local $rn i32) (local $k i32)
    (local $future i32) (local $notify i32) (local $keep i32) (local $c i32) (local $pr i32)
    (local.set $pa (call $nat (local.get $p)))
    (local.set $pr (call $record (local.get $p)))
    (local.set $writes (call $flag (local.get $e) (i32.const 1)))
    (local.set $future (call $flag (local.get $e) (i32.const 2)))
    (if (local.get $writes)
      (then
        (local.set $wn (local.get $count))
        (local.set $rn (i32.load offset=12 (local.get $pa)))
        (local.set $k (select (local.get $wn) (local.get $rn) (i32.lt_u (local.get $wn) (local.get $rn))))
        (call $copy (i32.load offset=16 (local.get $pa))
          (local.get $side) (local.get $ptr)
          (i32.load offset=24 (local.get $pa)) (i32.load offset=8 (local.get $pa))
          (local.get $k)))
      (else
        (local.set $rn (local.get $count))
        (local.set $wn (i32.load offset=12 (local.get $pa)))
        (local.set $k (select (local.get $wn) (local.get $rn) (i32.lt_u (local.get $wn) (local.get $rn))))
        (call $copy (i32.load offset=16 (local.get $pa))
          (i32.load offset=24 (local.get $pa)) (i32.load offset=8 (local.get $pa))
          (local.get $side) (local.get $ptr)
          (local.get $k))))
    (if (local.get $future) (then (call $transmitted (local.get $e))))
    ;; the pending side is told iff it is the reader and something was
    ;; offered, or the writer and a reader took part (or it wrote none)
    (local.set $notify
      (select (i32.ne (local.get $wn) (i32.const 0))
              (i32.or (i32.ne (local.get $rn) (i32.const 0)) (i32.eqz (local.get $wn)))
              (local.get $writes)))
    (if (local.get $notify)
      (then
        ;; counts of an undelivered COMPLETED add up
        (if (i32.and (i32.ne (i32.load offset=12 (local.get $pr)) (i32.const 0))
                     (i32.eqz (i32.and (i32.load offset=16 (local.get $pr)) (i32.const 0xf))))
          (then (local.set $c (i32.shr_u (i32.load offset=16 (local.get $pr)) (i32.const 4)))))
        (call $set_flag (local.get $p) (i32.const 16) (i32.const 1))
        (call $set_event_record (local.get $p) (call $event_code (local.get $p))
          (select (i32.const 0)
                  (i32.shl (i32.add (local.get $k) (local.get $c)) (i32.const 4))
                  (local.get $future)))))
    (local.set $keep
      (select (i32.lt_u (local.get $wn) (local.get $rn))
              (i32.lt_u (local.get $rn) (local.get $wn))
              (local.get $writes)))
    (if (local.get $keep)
      (then
        (i32.store offset=8 (local.get $pa)
          (i32.add (i32.load offset=8 (local.get $pa))
                   (i32.mul (local.get $k) (i32.load offset=20 (local.get $pa)))))
        (i32.store offset=12 (local.get $pa) (i32.sub (i32.load offset=12 (local.get $pa)) (local.get $k))))
      (else (call $set_flag (local.get $p) (i32.const 4) (i32.const 0))))
    (if (select (i32.or (i32.eqz (local.get $wn)) (i32.ne (local.get $rn) (i32.const 0)))
                (i32.ne (local.get $wn) (i32.const 0))
                (local.get $writes))
      (then (return (select (i32.const 0) (i32.shl (local.get $k) (i32.const 4)) (local.get $future)))))
    (call $pend (local.get $e) (local.get $ptr) (local.get $count) (local.get $side))
    (i32.const -1))

  ;; End `n`'s event (code in its record) was taken: an event that ends
  ;; an operation settles it.
  (func $delivered (param $n i32)
    (if (i32.ne (i32.load (call $record (local.get $n))) (global.get $NATIVE_KIND)) (then return))
    (if (i32.eqz (call $flag (local.get $n) (i32.const 16))) (then return))
    (call $set_flag (local.get $n) (i32.const 16) (i32.const 0))
    (call $set_flag (local.get $n) (i32.const 4) (i32.const 0))
    (call $settle (local.get $n) (i32.load offset=16 (call $record (local.get $n)))))

  ;; Readable end `h` of `from` (tag `tag`), meld's own of bridged family
  ;; `family`, leaves for the host, where a stream or future of the fused
  ;; component's takes its place: its record goes, and the writer's is
  ;; returned, to become the fused component's writable end
  ;; (`native_rekind`); 0 when the writer had dropped (its record goes
  ;; too). With a write pending: `p1` its address, `p2` its count.
  (func (export "native_out") (param $from i32) (param $h i32) (param $tag i32) (param $family i32) (result i32)
    (local $n i32) (local $p i32)
    (local.set $n (call $end_take (local.get $from) (local.get $h) (local.get $tag) (local.get $family)))
    (local.set $p (i32.load (call $nat (local.get $n))))
    (call $free_record (local.get $n))
    (if (call $flag (local.get $p) (i32.const 8))
      (then
        (call $free_record (local.get $p))
        (return (i32.const 0))))
    (global.set $p1 (i32.load offset=8 (call $nat (local.get $p))))
    (global.set $p2 (i32.load offset=12 (call $nat (local.get $p))))
    (local.get $p))

  ;; What writer `p` (of `native_out`) has pending: 0 nothing, else the
  ;; side of its pending write + 1, with `p1` the count a reader already
  ;; took of it whose event the writer has not taken (0: none; wasmtime
  ;; goes on offering the rest of such a write, to the host now).
  (func (export "native_pending") (param $p i32) (result i32)
    (global.set $p1 (i32.const 0))
    (if (i32.eqz (call $flag (local.get $p) (i32.const 4))) (then (return (i32.const 0))))
    (if (i32.load offset=12 (call $record (local.get $p)))
      (then (global.set $p1 (i32.shr_u (i32.load offset=16 (call $record (local.get $p))) (i32.const 4)))))
    (i32.add (i32.load offset=24 (call $nat (local.get $p))) (i32.const 1)))

  ;; The fused component's writable end `n` (a writer of `native_out`)
  ;; carries `count` elements a reader took of its write, now pending at
  ;; the host with the rest: its event (COMPLETED(count), not yet taken)
  ;; stays; the writer's cancel, or its taking that event, ends the
  ;; write at the host adding `count`, as the host's DROPPED adds it (its
  ;; COMPLETED replaces it).
  (func (export "end_set_carry") (param $n i32) (param $count i32)
    (call $set_flag (local.get $n) (i32.const 64) (i32.const 1))
    (i32.store offset=24 (call $nat (local.get $n)) (local.get $count)))

  ;; The count end `n` carries, as a code's count bits (`count << 4`; 0
  ;; without a carried write); it carries none from now on.
  (func (export "end_carry") (param $n i32) (result i32)
    (if (i32.eqz (call $flag (local.get $n) (i32.const 64))) (then (return (i32.const 0))))
    (call $set_flag (local.get $n) (i32.const 64) (i32.const 0))
    (i32.shl (i32.load offset=24 (call $nat (local.get $n))) (i32.const 4)))

  ;; The family of meld's end `n`, kept when it became the fused
  ;; component's (`native_rekind`).
  (func (export "end_family") (param $n i32) (result i32)
    (i32.load offset=16 (call $nat (local.get $n))))

  ;; Before end `n`'s event is taken: a carried write still pending at the
  ;; host ends there, the event's payload being what both readers took.
  (func $settle_carry (param $n i32)
    (local $r i32)
    (local.set $r (call $record (local.get $n)))
    (if (i32.or (i32.ne (i32.load (local.get $r)) (global.get $END))
                (i32.eqz (i32.load offset=12 (local.get $r))))
      (then return))
    (if (i32.eqz (call $flag (local.get $n) (i32.const 64))) (then return))
    (i32.store offset=16 (local.get $r) (call $carried (local.get $n))))

  ;; Writer `p` (of `native_out`) becomes the fused component's writable
  ;; end `host` in the same handle, set and event; nothing pending at the
  ;; host yet.
  (func (export "native_rekind") (param $p i32) (param $host i32)
    (i32.store (call $record (local.get $p)) (global.get $END))
    (i32.store (call $hosts_at (local.get $p))
      (i32.or (i32.and (i32.load (call $hosts_at (local.get $p))) (i32.const 0x40000000))
              (local.get $host))))

  ;; --- meld's own readable ends lent to the host ------------------------
  ;; A staged write to the host holds readable end `h` of `from` (tag
  ;; `tag`, meld's own of bridged family `family`): it is lent until the
  ;; write is settled, the host given a stream or future of the fused
  ;; component's that stands for it (`native_lent_pair`), and its writer
  ;; is that stream's writable end meanwhile (`native_bridge`), so that
  ;; the host reads what the writer writes before the write is settled.
  ;; The record, `p1` its writer's; or 0 when the end cannot leave (an
  ;; operation pending, pinned, in a set, lent already), which the host's
  ;; lift rejects, as wasmtime's lift rejects the end then.
  (func (export "native_lend") (param $from i32) (param $h i32) (param $tag i32) (param $family i32) (result i32)
    (local $n i32) (local $r i32)
    (local.set $n (call $lookup (local.get $from) (local.get $h) (local.get $tag) (local.get $tag)))
    (local.set $r (call $record (local.get $n)))
    (if (i32.eq (i32.load (local.get $r)) (global.get $LENT_NATIVE)) (then (return (i32.const 0))))
    (if (i32.or (i32.ne (i32.load (local.get $r)) (global.get $NATIVE_KIND))
                (i32.ne (i32.load offset=16 (call $nat (local.get $n))) (local.get $family)))
      (then unreachable))
    (if (i32.or (i32.ge_u (i32.load (call $hosts_at (local.get $n))) (i32.const 0x40000000))
                (i32.load offset=20 (local.get $r)))
      (then (return (i32.const 0))))
    (i32.store (local.get $r) (global.get $LENT_NATIVE))
    (global.set $p1 (i32.load (call $nat (local.get $n))))
    (local.get $n))

  ;; Lent reader `n` stands for the fused component's readable end `hr`,
  ;; whose writable end is `hw`.
  (func (export "native_lent_pair") (param $n i32) (param $hw i32) (param $hr i32)
    (i32.store offset=44 (call $nat (local.get $n)) (local.get $hw))
    (i32.store offset=48 (call $nat (local.get $n)) (local.get $hr)))

  ;; Whether meld's own end `p` dropped.
  (func (export "native_dropped") (param $p i32) (result i32)
    (call $flag (local.get $p) (i32.const 8)))

  ;; Writer `p` of a lent reader becomes the fused component's writable
  ;; end `host` (as `native_rekind` makes it), its pending write (`p1` its
  ;; address, `p2` its count) kept for `native_unbridge`.
  (func (export "native_bridge") (param $p i32) (param $host i32)
    (local $a i32)
    (local.set $a (call $nat (local.get $p)))
    (global.set $p1 (i32.load offset=8 (local.get $a)))
    (global.set $p2 (i32.load offset=12 (local.get $a)))
    (i32.store offset=32 (local.get $a) (i32.load offset=24 (local.get $a)))
    (i32.store offset=36 (local.get $a) (global.get $p1))
    (i32.store offset=40 (local.get $a) (global.get $p2))
    (i32.store (call $record (local.get $p)) (global.get $END))
    (i32.store (call $hosts_at (local.get $p))
      (i32.or (i32.and (i32.load (call $hosts_at (local.get $p))) (i32.const 0x40000000))
              (local.get $host)))
    (call $set_flag (local.get $p) (i32.const 4) (i32.const 0))
    (call $set_flag (local.get $p) (i32.const 128) (i32.const 1)))

  ;; The fused component's writable end `n` writes `count` elements at
  ;; `ptr` (the caller's address) from side `side`: kept, while its reader
  ;; is lent, for `native_unbridge`.
  (func (export "end_note_write") (param $n i32) (param $ptr i32) (param $count i32) (param $side i32)
    (local $a i32)
    (if (i32.eqz (call $flag (local.get $n) (i32.const 128))) (then return))
    (local.set $a (call $nat (local.get $n)))
    (i32.store offset=32 (local.get $a) (local.get $side))
    (i32.store offset=36 (local.get $a) (local.get $ptr))
    (i32.store offset=40 (local.get $a) (local.get $count)))

  ;; Readable end `h` of `inst` (tag `tag`): its record if a staged write
  ;; lent it (`native_lend`), else 0.
  (func (export "native_lent") (param $inst i32) (param $h i32) (param $tag i32) (result i32)
    (local $n i32)
    (local.set $n (call $lookup (local.get $inst) (local.get $h) (local.get $tag) (local.get $tag)))
    (select (local.get $n) (i32.const 0)
      (i32.eq (i32.load (call $record (local.get $n))) (global.get $LENT_NATIVE))))

  ;; The staged write that lent reader `n` is settled, `taken` by the host
  ;; or not; `p1` and `p2` the fused component's writable and readable end
  ;; that stood for it. Taken, the reader leaves its table (its writer
  ;; goes too if it dropped, else it stays the fused component's writable
  ;; end): -1. Not taken, the reader is its component's again: 0 when its
  ;; writer dropped (the fused component's writable end with it), else the
  ;; writer's record, still the fused component's writable end, for
  ;; `native_unbridge`.
  (func (export "native_settle") (param $n i32) (param $taken i32) (result i32)
    (local $r i32) (local $p i32)
    (local.set $r (call $record (local.get $n)))
    (local.set $p (i32.load (call $nat (local.get $n))))
    (global.set $p1 (i32.load offset=44 (call $nat (local.get $n))))
    (global.set $p2 (i32.load offset=48 (call $nat (local.get $n))))
    (if (local.get $taken)
      (then
        (call $remove (i32.load offset=4 (local.get $r)) (i32.load offset=8 (local.get $r)))
        (call $free_record (local.get $n))
        (if (i32.eq (i32.load (call $record (local.get $p))) (global.get $END))
          (then (call $set_flag (local.get $p) (i32.const 128) (i32.const 0)))
          (else (call $free_record (local.get $p))))
        (return (i32.const -1))))
    (i32.store (local.get $r) (global.get $NATIVE_KIND))
    (if (i32.eq (i32.load (call $record (local.get $p))) (global.get $END))
      (then (return (local.get $p))))
    (i32.const 0))

  ;; Writer `p` (the fused component's writable end, flag 128), whose
  ;; reader the host did not take: meld's own again; `busy`: the write it
  ;; had pending at the host (cancelled there, or given up) is pending
  ;; here.
  (func (export "native_unbridge") (param $p i32) (param $busy i32)
    (local $a i32)
    (local.set $a (call $nat (local.get $p)))
    (i32.store (call $record (local.get $p)) (global.get $NATIVE_KIND))
    (i32.store (call $hosts_at (local.get $p))
      (i32.and (i32.load (call $hosts_at (local.get $p))) (i32.const 0x40000000)))
    (call $set_flag (local.get $p) (i32.const 0xc0) (i32.const 0))
    (i32.store offset=28 (local.get $a) (i32.const 0))
    ;; an event that would end the write only with a write pending (one a
    ;; reader took part of before the lend)
    (if (i32.eqz (local.get $busy)) (then (call $set_flag (local.get $p) (i32.const 16) (i32.const 0))))
    (if (local.get $busy)
      (then
        (i32.store (call $hosts_at (local.get $p))
          (i32.or (i32.load (call $hosts_at (local.get $p))) (i32.const 0x80000000)))
        (call $pend (local.get $p) (i32.load offset=36 (local.get $a))
          (i32.load offset=40 (local.get $a)) (i32.load offset=32 (local.get $a))))))

  ;; Keeps the fused component's ends `hw` and `hr` (a stream or future of
  ;; `family` neither end of which the host ever had) for the next lend of
  ;; the family: wasmtime would not let a future's be dropped unwritten.
  (func (export "spare_put") (param $family i32) (param $hw i32) (param $hr i32)
    (local $n i32)
    (local.set $n (call $new_record (global.get $SPARE) (i32.const 0)))
    (i32.store (call $hosts_at (local.get $n)) (local.get $hr))
    (i32.store (call $nat (local.get $n)) (local.get $hw))
    (i32.store offset=4 (call $nat (local.get $n)) (i32.load (global.get $SPARES)))
    (i32.store offset=16 (call $nat (local.get $n)) (local.get $family))
    (i32.store (global.get $SPARES) (local.get $n)))

  ;; A spare pair of `family` (`spare_put`): `hw << 32 | hr`, or 0.
  (func (export "spare_take") (param $family i32) (result i64)
    (local $at i32) (local $n i32) (local $pair i64)
    (local.set $at (global.get $SPARES))
    (block $none
      (loop $scan
        (local.set $n (i32.load (local.get $at)))
        (br_if $none (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load offset=16 (call $nat (local.get $n))) (local.get $family))
          (then
            (local.set $at (i32.add (call $nat (local.get $n)) (i32.const 4)))
            (br $scan)))
        (i32.store (local.get $at) (i32.load offset=4 (call $nat (local.get $n))))
        (local.set $pair
          (i64.or (i64.shl (i64.extend_i32_u (i32.load (call $nat (local.get $n)))) (i64.const 32))
                  (i64.extend_i32_u (i32.load (call $hosts_at (local.get $n))))))
        (i32.store (call $hosts_at (local.get $n)) (i32.const 0))
        (call $free_record (local.get $n))
        (return (local.get $pair))))
    (i64.const 0))

  ;; `*.cancel-read`/`*.cancel-write` of end `h` of `inst` (tag `tag`);
  ;; `sync`: the blocking variant. The code.
  (func (export "native_cancel") (param $inst i32) (param $h i32) (param $tag i32) (param $family i32)
                                 (param $sync i32) (result i32)
    (local $e i32) (local $r i32) (local $code i32)
    (local.set $e (call $end_of (local.get $inst) (local.get $h) (local.get $tag) (local.get $family)))
    (local.set $r (call $record (local.get $e)))
    ;; "... cancelled when no ... is pending"
    (if (i32.eqz (call $busy (local.get $e))) (then unreachable))
    ;; "waitable cannot be used synchronously while added to a waitable set"
    (if (i32.and (local.get $sync) (i32.ne (i32.load offset=20 (local.get $r)) (i32.const 0)))
      (then unreachable))
    (local.set $code (i32.const 2))
    (if (i32.load offset=12 (local.get $r))
      (then
        (local.set $code (i32.load offset=16 (local.get $r)))
        (i32.store offset=12 (local.get $r) (i32.const 0))
        (call $delivered (local.get $e))
        ;; wasmtime: a stream's COMPLETED(n) becomes CANCELLED(n)
        (if (i32.and (i32.eqz (call $flag (local.get $e) (i32.const 2)))
                     (i32.eqz (i32.and (local.get $code) (i32.const 0xf))))
          (then (local.set $code (i32.or (local.get $code) (i32.const 2)))))))
    (call $set_flag (local.get $e) (i32.const 4) (i32.const 0))
    (if (call $busy (local.get $e)) (then (call $settle (local.get $e) (i32.const 2))))
    (local.get $code))

  ;; `*.drop-readable`/`*.drop-writable` of end `h` of `inst` (tag `tag`).
  (func (export "native_drop") (param $inst i32) (param $h i32) (param $tag i32) (param $family i32)
    (local $e i32) (local $p i32) (local $pr i32) (local $old i32)
    (local.set $e (call $end_of (local.get $inst) (local.get $h) (local.get $tag) (local.get $family)))
    ;; "cannot drop busy stream/future"
    (if (call $busy (local.get $e)) (then unreachable))
    ;; "cannot drop future write end without first writing a value"
    (if (i32.and (i32.and (call $flag (local.get $e) (i32.const 2)) (call $flag (local.get $e) (i32.const 1)))
                 (i32.eqz (call $flag (local.get $e) (i32.const 32))))
      (then unreachable))
    (call $remove (local.get $inst) (local.get $h))
    (call $leave (local.get $e))
    (i32.store offset=8 (call $record (local.get $e)) (i32.const 0))
    (i32.store offset=12 (call $record (local.get $e)) (i32.const 0))
    (call $set_flag (local.get $e) (i32.const 8) (i32.const 1))
    (local.set $p (i32.load (call $nat (local.get $e))))
    (if (call $flag (local.get $p) (i32.const 8))
      (then
        (call $free_record (local.get $e))
        (call $free_record (local.get $p))
        (return)))
    ;; the other end is told: DROPPED, keeping a stream's count so far
    ;; (an event without an operation when none was pending: wasmtime's
    ;; stale notification)
    (local.set $pr (call $record (local.get $p)))
    (if (call $flag (local.get $p) (i32.const 4))
      (then
        (call $set_flag (local.get $p) (i32.const 4) (i32.const 0))
        (call $set_flag (local.get $p) (i32.const 16) (i32.const 1))))
    (local.set $old (i32.load offset=12 (local.get $pr)))
    (if (i32.eqz (local.get $old))
      (then (call $set_event_record (local.get $p) (call $event_code (local.get $p)) (i32.const 1)))
      (else
        (if (i32.eqz (call $flag (local.get $p) (i32.const 2)))
          (then
            (call $set_event_record (local.get $p) (call $event_code (local.get $p))
              (i32.or (i32.and (i32.load offset=16 (local.get $pr)) (i32.const 0xfffffff0))
                      (i32.const 1))))))))
)
