;; meld's task scheduler: stacks that suspend and resume, two FIFO queues.
;;
;; The code of a task runs on the one core stack. To suspend, it calls
;; `suspend`, which sets `state` to UNWINDING (1) and returns; every frame
;; of the task, transformed by meld's unwind pass, saves itself in the
;; task's save area and returns, up to `run`. To resume the task, `run`
;; sets `state` to REWINDING (2) and calls the task's entry again; the
;; frames restore themselves down to `suspend`, which sets `state` back to
;; NORMAL (0) and returns the value the task was woken with.
;;
;; Work is taken as wasmtime 48 takes it: one task at a time, the oldest
;; of the high-priority queue first, else the oldest of the low-priority
;; queue (a task that yields goes there).
;;
;; Memory (this module's own; all u32):
;;   0            bump pointer of the rings, save areas and record tables
;;   16..32       high queue: head, tail (counters), base address, capacity
;;   32..48       low queue: the same
;;   48           first free task record (0: none)
;;   52           number of task records ever made
;;   56           how many records the table at `$records` holds
;;   RECORDS0..   the first table of task records, 4,096 of them; task n's
;;                record is at `$records` + 64 n (n >= 1). A full table
;;                moves to one twice as large (`spawn`), so a record's
;;                address is good only until the next task is made: the
;;                two functions that keep one across a call that can make
;;                a task (`run_one`, `run_nested`) read it again after.
;;                A record:
;;                  0 status, 4 entry (index into $entries), 8 argument,
;;                  12 save area, 16 saved top, 20 value to resume with,
;;                  24 next free record, 28 and 32 the context slots
;;                  (`context.get`/`context.set`, zero for a new task),
;;                  36 orphaned (nothing refers to it once it is done:
;;                  its record is freed then), 40 its entries in the rings,
;;                  44 running other tasks on its stack (`run_nested`),
;;                  48 its save area's size
;;   then, from the bump pointer: the two rings (4,096 entries each at
;;                first; a full ring moves to one twice as large), save
;;                areas (1 KiB, made when a task first saves frames; a
;;                task whose frames outgrow its area moves them to one
;;                twice as large: `grow_save`) and the larger tables of
;;                records
(module
  (type $entry (func (param i32)))
  (memory (export "memory") 5)
  ;; (meld makes it as long as a composition needs: `merge`)
  (table $entries (export "entries") 64 funcref)

  (global $state (export "state") (mut i32) (i32.const 0))
  (global $sp (export "sp") (mut i32) (i32.const 0))
  (global $limit (export "limit") (mut i32) (i32.const 0))
  (global $current (export "current") (mut i32) (i32.const 0))
  ;; how many times a task ran (the host calls' deadlock check)
  (global $ran (export "ran") (mut i32) (i32.const 0))
  ;; the root task whose host call the host is running now (set by the
  ;; generated host entries: a root task hands its results to the host
  ;; only in its own call's turn)
  (global $host_turn (export "host_turn") (mut i32) (i32.const 0))
  ;; root tasks ready to return outside their call's turn take tickets and
  ;; return in ticket order (the last ticket given, the last one served)
  (global $tickets (export "tickets") (mut i32) (i32.const 0))
  (global $served (export "served") (mut i32) (i32.const 0))
  ;; Low-priority tasks the running round may still take (-1: any).
  (global $low_left (mut i32) (i32.const 0))
  ;; Set while `run_only` runs one task: no other runs meanwhile.
  (global $only (mut i32) (i32.const 0))
  ;; Tasks running others on their stack (`run_nested`), and how many may
  ;; (each level puts a task's frames on top of the others': wasmtime
  ;; gives every task a stack of its own).
  (global $nested (mut i32) (i32.const 0))
  (global $MAX_NESTED i32 (i32.const 4))

  ;; task status
  (global $QUEUED_START i32 (i32.const 1))
  (global $RUNNING i32 (i32.const 2))
  (global $SUSPENDED i32 (i32.const 3))
  (global $QUEUED_RESUME i32 (i32.const 4))
  (global $DONE i32 (i32.const 5))
  ;; its entry returned but the task lives on: woken, its entry is called
  ;; afresh (a callback-lifted task between callbacks, a start not ready)
  (global $IDLE i32 (i32.const 6))

  (global $MAX_TASKS i32 (i32.const 16777215))
  (global $RECORDS0 i32 (i32.const 1024))
  (global $RING i32 (i32.const 4096))
  (global $SAVE_SIZE i32 (i32.const 1024))
  ;; where the table of task records lies (it moves when it grows)
  (global $records (mut i32) (i32.const 1024))

  (func $record (param $task i32) (result i32) ;; inline
    (i32.add (global.get $records) (i32.shl (local.get $task) (i32.const 6))))

  ;; The address of entry `i` (a counter) of `queue`'s ring.
  (func $entry (param $queue i32) (param $i i32) (result i32) ;; inline
    (i32.add (i32.load offset=8 (local.get $queue))
             (i32.shl (i32.and (local.get $i)
                               (i32.sub (i32.load offset=12 (local.get $queue)) (i32.const 1)))
                      (i32.const 2))))

  ;; --- queues ---------------------------------------------------------
  (func $push (param $queue i32) (param $task i32)
    (local $tail i32)
    (local.set $tail (i32.load offset=4 (local.get $queue)))
    (if (i32.ge_u (i32.sub (local.get $tail) (i32.load (local.get $queue)))
                  (i32.load offset=12 (local.get $queue)))
      (then (call $widen (local.get $queue))))
    (i32.store
      (call $entry (local.get $queue) (local.get $tail))
      (local.get $task))
    (i32.store offset=4 (local.get $queue) (i32.add (local.get $tail) (i32.const 1)))
    (local.set $tail (i32.add (call $record (local.get $task)) (i32.const 40)))
    (i32.store (local.get $tail) (i32.add (i32.load (local.get $tail)) (i32.const 1))))

  ;; Moves a full ring to one twice as large, its entries at the same
  ;; counters.
  (func $widen (param $queue i32)
    (local $i i32) (local $tail i32) (local $old i32) (local $size i32) (local $new i32)
    (local.set $old (i32.load offset=8 (local.get $queue)))
    (local.set $size (i32.load offset=12 (local.get $queue)))
    (if (i32.ge_u (local.get $size) (i32.const 0x10000000)) (then unreachable))
    (local.set $new (call $save_area (i32.shl (local.get $size) (i32.const 3))))
    (local.set $i (i32.load (local.get $queue)))
    (local.set $tail (i32.load offset=4 (local.get $queue)))
    (i32.store offset=8 (local.get $queue) (local.get $new))
    (i32.store offset=12 (local.get $queue) (i32.shl (local.get $size) (i32.const 1)))
    (loop $copy
      (if (i32.ne (local.get $i) (local.get $tail))
        (then
          (i32.store (call $entry (local.get $queue) (local.get $i))
            (i32.load (i32.add (local.get $old)
                               (i32.shl (i32.and (local.get $i)
                                                 (i32.sub (local.get $size) (i32.const 1)))
                                        (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $copy)))))

  ;; The oldest task of the queue, or 0.
  (func $pop (param $queue i32) (result i32)
    (local $head i32) (local $task i32) (local $at i32)
    (local.set $head (i32.load (local.get $queue)))
    (if (i32.eq (local.get $head) (i32.load offset=4 (local.get $queue)))
      (then (return (i32.const 0))))
    (i32.store (local.get $queue) (i32.add (local.get $head) (i32.const 1)))
    (local.set $task
      (i32.load
        (call $entry (local.get $queue) (local.get $head))))
    (local.set $at (i32.add (call $record (local.get $task)) (i32.const 40)))
    (i32.store (local.get $at) (i32.sub (i32.load (local.get $at)) (i32.const 1)))
    (local.get $task))

  (func $init
    (if (i32.load (i32.const 0)) (then return))
    ;; the rings right after the first table of records, then the rest
    (i32.store (i32.const 0) (i32.add (global.get $RECORDS0) (i32.const 262144)))
    (i32.store (i32.const 56) (i32.const 4096))
    (i32.store offset=8 (i32.const 16) (call $save_area (i32.shl (global.get $RING) (i32.const 2))))
    (i32.store offset=12 (i32.const 16) (global.get $RING))
    (i32.store offset=8 (i32.const 32) (call $save_area (i32.shl (global.get $RING) (i32.const 2))))
    (i32.store offset=12 (i32.const 32) (global.get $RING)))

  ;; --- tasks ----------------------------------------------------------
  ;; A new task that will run `entry(task)`; queued with high priority.
  (func $spawn (export "spawn") (param $entry i32) (param $arg i32) (result i32)
    (local $task i32) (local $r i32) (local $save i32)
    (call $init)
    (local.set $task (i32.load (i32.const 48)))
    (if (local.get $task)
      (then
        (local.set $r (call $record (local.get $task)))
        (i32.store (i32.const 48) (i32.load offset=24 (local.get $r)))
        (local.set $save (i32.load offset=12 (local.get $r))))
      (else
        (local.set $task (i32.add (i32.load (i32.const 52)) (i32.const 1)))
        (if (i32.gt_u (local.get $task) (global.get $MAX_TASKS)) (then unreachable))
        (i32.store (i32.const 52) (local.get $task))
        ;; the table is full: it moves to one twice as large
        (if (i32.ge_u (local.get $task) (i32.load (i32.const 56)))
          (then
            (local.set $r (call $save_area (i32.shl (i32.load (i32.const 56)) (i32.const 7))))
            (memory.copy (local.get $r) (global.get $records)
                         (i32.shl (i32.load (i32.const 56)) (i32.const 6)))
            (global.set $records (local.get $r))
            (i32.store (i32.const 56) (i32.shl (i32.load (i32.const 56)) (i32.const 1)))))
        (local.set $r (call $record (local.get $task)))
        ;; no save area until it saves frames (`grow_save`)
        (local.set $save (i32.const 0))
        (i32.store offset=48 (local.get $r) (i32.const 0))))
    (i32.store (local.get $r) (global.get $QUEUED_START))
    (i32.store offset=4 (local.get $r) (local.get $entry))
    (i32.store offset=8 (local.get $r) (local.get $arg))
    (i32.store offset=12 (local.get $r) (local.get $save))
    (i32.store offset=16 (local.get $r) (local.get $save))
    (i32.store offset=20 (local.get $r) (i32.const 0))
    (i32.store offset=28 (local.get $r) (i32.const 0))
    (i32.store offset=32 (local.get $r) (i32.const 0))
    (i32.store offset=36 (local.get $r) (i32.const 0))
    (i32.store offset=40 (local.get $r) (i32.const 0))
    (i32.store offset=44 (local.get $r) (i32.const 0))
    (call $push (i32.const 16) (local.get $task))
    (local.get $task))

  ;; A new save area of `size` bytes (the memory grows as needed).
  (func $save_area (param $size i32) (result i32)
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

  ;; Makes room for `need` more bytes of saved frames at `sp`, called by a
  ;; frame of the running task that would not fit below `limit` (meld's
  ;; unwind pass): the frames saved so far move to an area twice as large
  ;; (or larger, until they fit), which the task keeps. Its old area is
  ;; not used again. A task's first area (it had none: `sp` and `limit`
  ;; 0) is SAVE_SIZE bytes, or larger until the frame fits.
  (func $grow_save (export "grow_save") (param $need i32)
    (local $r i32) (local $old i32) (local $used i32) (local $size i32) (local $new i32)
    (if (i32.eqz (global.get $current)) (then unreachable))
    (local.set $r (call $record (global.get $current)))
    (local.set $old (i32.load offset=12 (local.get $r)))
    (local.set $used (i32.sub (global.get $sp) (local.get $old)))
    (local.set $size (i32.load offset=48 (local.get $r)))
    (if (i32.eqz (local.get $size))
      (then (local.set $size (i32.shr_u (global.get $SAVE_SIZE) (i32.const 1)))))
    (loop $double
      ;; (an area of 2 GiB cannot double in a 32-bit memory)
      (if (i32.ge_u (local.get $size) (i32.const 0x80000000)) (then unreachable))
      (local.set $size (i32.shl (local.get $size) (i32.const 1)))
      (br_if $double
        (i64.gt_u (i64.add (i64.extend_i32_u (local.get $used))
                           (i64.extend_i32_u (local.get $need)))
                  (i64.extend_i32_u (local.get $size)))))
    (local.set $new (call $save_area (local.get $size)))
    (memory.copy (local.get $new) (local.get $old) (local.get $used))
    (i32.store offset=12 (local.get $r) (local.get $new))
    (i32.store offset=48 (local.get $r) (local.get $size))
    (global.set $sp (i32.add (local.get $new) (local.get $used)))
    (global.set $limit (i32.add (local.get $new) (local.get $size))))

  (func (export "argument") (param $task i32) (result i32)
    (i32.load offset=8 (call $record (local.get $task))))

  (func (export "status") (param $task i32) (result i32)
    (i32.load (call $record (local.get $task))))

  ;; Frees a finished task's record (its save area stays with the record).
  (func $release (export "release") (param $task i32)
    (local $r i32)
    (local.set $r (call $record (local.get $task)))
    (if (i32.ne (i32.load (local.get $r)) (global.get $DONE)) (then unreachable))
    (i32.store (local.get $r) (i32.const 0))
    (i32.store offset=24 (local.get $r) (i32.load (i32.const 48)))
    (i32.store (i32.const 48) (local.get $task)))

  ;; Frees the record of an orphaned task once it is done and no ring
  ;; holds it any more.
  (func $collect (param $task i32)
    (local $r i32)
    (local.set $r (call $record (local.get $task)))
    (if (i32.and (i32.and (i32.load offset=36 (local.get $r))
                          (i32.eq (i32.load (local.get $r)) (global.get $DONE)))
                 (i32.eqz (i32.load offset=40 (local.get $r))))
      (then (call $release (local.get $task)))))

  ;; Nothing refers to the task any more: its record goes when it is done.
  (func (export "orphan") (param $task i32)
    (i32.store offset=36 (call $record (local.get $task)) (i32.const 1))
    (call $collect (local.get $task)))

  ;; The running task's context slots (`context.get`/`context.set`).
  (func (export "context_get") (param $slot i32) (result i32)
    (if (i32.or (i32.eqz (global.get $current)) (i32.gt_u (local.get $slot) (i32.const 1)))
      (then unreachable))
    (i32.load offset=28
      (i32.add (call $record (global.get $current)) (i32.shl (local.get $slot) (i32.const 2)))))

  (func (export "context_set") (param $slot i32) (param $value i32)
    (if (i32.or (i32.eqz (global.get $current)) (i32.gt_u (local.get $slot) (i32.const 1)))
      (then unreachable))
    (i32.store offset=28
      (i32.add (call $record (global.get $current)) (i32.shl (local.get $slot) (i32.const 2)))
      (local.get $value)))

  ;; The suspension point. A task suspends by calling it after arranging to
  ;; be woken; resumed, it returns what the task was woken with.
  ;;
  ;; First it runs the queued tasks on this stack (`run_nested`); if the
  ;; task is the next to run before it would have to wait for anything
  ;; else, it goes on without unwinding.
  (func $suspend (export "suspend") (result i32)
    (if (i32.eq (global.get $state) (i32.const 2))
      (then
        (global.set $state (i32.const 0))
        (return (i32.load offset=20 (call $record (global.get $current))))))
    (if (i32.eqz (global.get $current)) (then unreachable))
    (if (call $run_nested)
      (then (return (i32.load offset=20 (call $record (global.get $current))))))
    (global.set $state (i32.const 1))
    (i32.const 0))

  ;; Runs queued tasks on this stack, one by one as the loop that runs the
  ;; current task would run them once it suspended (`next_queue`), until
  ;; the current task is the next to run (something woke it): then takes
  ;; it off its queue and returns 1, and the task goes on without
  ;; unwinding and rewinding its stack. Returns 0, and the task must
  ;; suspend after all, when that loop would stop first (nothing left to
  ;; run this round), when the next task to run is one that runs tasks
  ;; this way lower on this stack (it can only go on once this one has
  ;; unwound), or when MAX_NESTED tasks already do.
  (func $run_nested (result i32)
    (local $me i32) (local $r i32) (local $sp i32) (local $limit i32)
    (local $queue i32) (local $next i32) (local $woken i32)
    (if (i32.ge_u (global.get $nested) (global.get $MAX_NESTED))
      (then (return (i32.const 0))))
    (local.set $me (global.get $current))
    (local.set $r (call $record (local.get $me)))
    ;; as far as the other tasks can tell, it has suspended
    (if (i32.eq (i32.load (local.get $r)) (global.get $RUNNING))
      (then (i32.store (local.get $r) (global.get $SUSPENDED))))
    (i32.store offset=44 (local.get $r) (i32.const 1))
    (local.set $sp (global.get $sp))
    (local.set $limit (global.get $limit))
    (global.set $nested (i32.add (global.get $nested) (i32.const 1)))
    (block $done
      (loop $next
        (local.set $queue (call $next_queue))
        (br_if $done (i32.eqz (local.get $queue)))
        (local.set $next (call $peek (local.get $queue)))
        (if (i32.eq (local.get $next) (local.get $me))
          (then
            (drop (call $take (local.get $queue)))
            (global.set $ran (i32.add (global.get $ran) (i32.const 1)))
            (local.set $woken (i32.const 1))
            (br $done)))
        (br_if $done (i32.load offset=44 (call $record (local.get $next))))
        (call $run_one (call $take (local.get $queue)))
        (br $next)))
    (global.set $nested (i32.sub (global.get $nested) (i32.const 1)))
    ;; (the tasks it ran may have made tasks: the table may have moved)
    (local.set $r (call $record (local.get $me)))
    (i32.store offset=44 (local.get $r) (i32.const 0))
    (global.set $current (local.get $me))
    (global.set $sp (local.get $sp))
    (global.set $limit (local.get $limit))
    ;; not woken: it is running until it suspends
    (if (i32.or (local.get $woken)
                (i32.eq (i32.load (local.get $r)) (global.get $SUSPENDED)))
      (then (i32.store (local.get $r) (global.get $RUNNING))))
    (local.get $woken))

  ;; Queues a suspended (or suspending) task to resume with `value`, or an
  ;; idle one to have its entry called again.
  (func $wake (export "wake") (param $task i32) (param $value i32) (param $high i32)
    (local $r i32) (local $status i32)
    (local.set $r (call $record (local.get $task)))
    (local.set $status (i32.load (local.get $r)))
    (if (i32.eqz (i32.or (i32.or (i32.eq (local.get $status) (global.get $SUSPENDED))
                                 (i32.eq (local.get $status) (global.get $IDLE)))
                         (i32.eq (local.get $task) (global.get $current))))
      (then unreachable))
    (i32.store offset=20 (local.get $r) (local.get $value))
    (i32.store (local.get $r)
      (select (global.get $QUEUED_START) (global.get $QUEUED_RESUME)
        (i32.eq (local.get $status) (global.get $IDLE))))
    (call $push (select (i32.const 16) (i32.const 32) (local.get $high)) (local.get $task)))

  ;; Whether the task is queued to start (not yet run, or idle and woken).
  (func (export "queued_fresh") (param $task i32) (result i32)
    (i32.eq (i32.load (call $record (local.get $task))) (global.get $QUEUED_START)))

  ;; Ends a task that is queued to start or idle without running it again.
  (func (export "finish") (param $task i32)
    (local $r i32) (local $status i32)
    (local.set $r (call $record (local.get $task)))
    (local.set $status (i32.load (local.get $r)))
    (if (i32.eqz (i32.or (i32.eq (local.get $status) (global.get $QUEUED_START))
                         (i32.eq (local.get $status) (global.get $IDLE))))
      (then unreachable))
    (i32.store (local.get $r) (global.get $DONE))
    (call $collect (local.get $task)))

  ;; Marks the running task idle: its entry is about to return, and the
  ;; task waits to be woken (then its entry is called again).
  (func (export "idle")
    (if (i32.eqz (global.get $current)) (then unreachable))
    (i32.store (call $record (global.get $current)) (global.get $IDLE)))

  ;; Lets every other queued task run first, then goes on.
  (func (export "yield") (result i32)
    (if (i32.eq (global.get $state) (i32.const 0))
      (then (call $wake (global.get $current) (i32.const 0) (i32.const 0))))
    (call $suspend))

  ;; Runs one queued task (taken off its queue) until it returns or
  ;; suspends.
  (func $run_one (export "run_one") (param $task i32)
    (local $r i32)
    (local.set $r (call $record (local.get $task)))
    ;; a task taken off before it started (cancelled) stays in the ring
    (if (i32.eq (i32.load (local.get $r)) (global.get $DONE))
      (then (call $collect (local.get $task)) (return)))
    (global.set $ran (i32.add (global.get $ran) (i32.const 1)))
    (global.set $current (local.get $task))
    (global.set $sp (i32.load offset=16 (local.get $r)))
    (global.set $limit (i32.add (i32.load offset=12 (local.get $r))
                                (i32.load offset=48 (local.get $r))))
    (if (i32.eq (i32.load (local.get $r)) (global.get $QUEUED_RESUME))
      (then (global.set $state (i32.const 2))))
    (i32.store (local.get $r) (global.get $RUNNING))
    (call_indirect $entries (type $entry)
      (local.get $task) (i32.load offset=4 (local.get $r)))
    ;; (the entry may have made tasks: the table may have moved)
    (local.set $r (call $record (local.get $task)))
    (if (i32.eq (global.get $state) (i32.const 1))
      (then
        (global.set $state (i32.const 0))
        (i32.store offset=16 (local.get $r) (global.get $sp))
        ;; Unless it queued itself (yield), it waits to be woken.
        (if (i32.eq (i32.load (local.get $r)) (global.get $RUNNING))
          (then (i32.store (local.get $r) (global.get $SUSPENDED)))))
      (else
        ;; Its entry returned; rewinding must have completed. Unless it
        ;; went idle or was queued afresh, it is finished.
        (if (global.get $state) (then unreachable))
        (if (i32.eq (i32.load (local.get $r)) (global.get $RUNNING))
          (then (i32.store (local.get $r) (global.get $DONE))))
        (i32.store offset=16 (local.get $r) (i32.load offset=12 (local.get $r)))))
    (global.set $current (i32.const 0))
    (call $collect (local.get $task)))

  ;; Moves a task queued with low priority to the back of the high queue
  ;; (wasmtime promotes a task cancelled in a cancellable yield); nothing
  ;; if it is not in the low queue.
  (func (export "promote") (param $task i32)
    (local $i i32) (local $tail i32) (local $at i32)
    (local.set $tail (i32.load offset=4 (i32.const 32)))
    (local.set $i (i32.load (i32.const 32)))
    (block $found
      (loop $scan
        (if (i32.eq (local.get $i) (local.get $tail)) (then return))
        (local.set $at (call $entry (i32.const 32) (local.get $i)))
        (br_if $found (i32.eq (i32.load (local.get $at)) (local.get $task)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; the later entries move up by one
    (loop $shift
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.lt_u (local.get $i) (local.get $tail))
        (then
          (i32.store (local.get $at) (i32.load (call $entry (i32.const 32) (local.get $i))))
          (local.set $at (call $entry (i32.const 32) (local.get $i)))
          (br $shift))))
    (i32.store offset=4 (i32.const 32) (i32.sub (local.get $tail) (i32.const 1)))
    (local.set $at (i32.add (call $record (local.get $task)) (i32.const 40)))
    (i32.store (local.get $at) (i32.sub (i32.load (local.get $at)) (i32.const 1)))
    (call $push (i32.const 16) (local.get $task)))

  ;; Whether a task is queued (to start or resume), in either queue.
  ;; (A task that ended before it ran stays in its ring until it is taken:
  ;; it does not count.)
  (func (export "queued") (result i32)
    (i32.or (call $live_in (i32.const 16)) (call $live_in (i32.const 32))))

  ;; Whether `queue` holds a task that is not done.
  (func $live_in (param $queue i32) (result i32)
    (local $i i32) (local $tail i32) (local $task i32)
    (local.set $i (i32.load (local.get $queue)))
    (local.set $tail (i32.load offset=4 (local.get $queue)))
    (block $none
      (loop $scan
        (br_if $none (i32.eq (local.get $i) (local.get $tail)))
        (local.set $task
          (i32.load (call $entry (local.get $queue) (local.get $i))))
        (if (i32.ne (i32.load (call $record (local.get $task))) (global.get $DONE))
          (then (return (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  ;; The queue the running loop takes its next task from: the high one,
  ;; else the low one while the round may take from it; 0 when it stops.
  (func $next_queue (result i32)
    (if (global.get $only) (then (return (i32.const 0))))
    (if (i32.ne (i32.load (i32.const 16)) (i32.load offset=4 (i32.const 16)))
      (then (return (i32.const 16))))
    (if (i32.and (i32.ne (global.get $low_left) (i32.const 0))
                 (i32.ne (i32.load (i32.const 32)) (i32.load offset=4 (i32.const 32))))
      (then (return (i32.const 32))))
    (i32.const 0))

  ;; The oldest task of a queue that is not empty, left in it.
  (func $peek (param $queue i32) (result i32)
    (i32.load
      (call $entry (local.get $queue) (i32.load (local.get $queue)))))

  ;; Takes the oldest task off `queue` (a low one counts against the round).
  (func $take (param $queue i32) (result i32)
    (if (i32.and (i32.eq (local.get $queue) (i32.const 32))
                 (i32.gt_s (global.get $low_left) (i32.const 0)))
      (then (global.set $low_left (i32.sub (global.get $low_left) (i32.const 1)))))
    (call $pop (local.get $queue)))

  ;; Runs tasks from `next_queue` until it gives none.
  (func $loop
    (local $queue i32)
    (loop $next
      (local.set $queue (call $next_queue))
      (if (i32.eqz (local.get $queue)) (then return))
      (call $run_one (call $take (local.get $queue)))
      (br $next)))

  ;; Runs queued tasks until none is queued.
  (func (export "run")
    (if (global.get $current) (then unreachable))
    (call $init)
    (global.set $low_left (i32.const -1))
    (call $loop))

  ;; Runs `task`, the newest task of the high queue, alone until it returns
  ;; or suspends (nothing else runs on its stack meanwhile): 1. Runs
  ;; nothing and returns 0 when `task` is not that task.
  (func (export "run_only") (param $task i32) (result i32)
    (local $tail i32) (local $at i32)
    (if (global.get $current) (then unreachable))
    (call $init)
    (local.set $tail (i32.load offset=4 (i32.const 16)))
    (if (i32.eq (local.get $tail) (i32.load (i32.const 16)))
      (then (return (i32.const 0))))
    (local.set $tail (i32.sub (local.get $tail) (i32.const 1)))
    (if (i32.ne (i32.load (call $entry (i32.const 16) (local.get $tail)))
                (local.get $task))
      (then (return (i32.const 0))))
    (i32.store offset=4 (i32.const 16) (local.get $tail))
    (local.set $at (i32.add (call $record (local.get $task)) (i32.const 40)))
    (i32.store (local.get $at) (i32.sub (i32.load (local.get $at)) (i32.const 1)))
    (global.set $low_left (i32.const 0))
    (global.set $only (i32.const 1))
    (call $run_one (local.get $task))
    (global.set $only (i32.const 0))
    (i32.const 1))

  ;; One round, as wasmtime's event loop runs the work of several host
  ;; calls: every high-priority task, and (with `with_low`) each
  ;; low-priority one queued when the round began once, high-priority work
  ;; it queues first.
  (func (export "run_round") (param $with_low i32)
    (if (global.get $current) (then unreachable))
    (call $init)
    (global.set $low_left
      (select (i32.sub (i32.load offset=4 (i32.const 32)) (i32.load (i32.const 32)))
              (i32.const 0)
              (local.get $with_low)))
    (call $loop))
)
