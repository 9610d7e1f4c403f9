;; `async_rest_of_write.wat` with strings: `run()` has `$w` start a
;; stream of strings and write "a" to "h" to it (the write stays pending),
;; `$r` read one string of it and pass the same end on, and `$t` return
;; that end to the host, which reads two strings at a time. An inner
;; reader's read leaves the rest of the write offered; the host's ends
;; the write in wasmtime 48 (the host reads "b" and "c", and the write's
;; event is COMPLETED(2)). With `--memory shared` the host's copies of
;; strings are staged in meld's memory (their pointers move between the
;; region and the memory), and the fused runtime takes a staged copy's
;; event as soon as it comes. `finish()` has `$w` take the event (its
;; code * 4096 + its payload); `eaten()` gives `$r`'s read's code * 1000
;; + the first byte of the string it read.
(component
  (component $w
    (type $s (stream string))
    (core module $memory
      (memory (export "mem") 1)
      ;; eight (pointer, length) pairs at 16, for "a" to "h" at 200
      (data (i32.const 16)
        "\c8\00\00\00\01\00\00\00" "\c9\00\00\00\01\00\00\00"
        "\ca\00\00\00\01\00\00\00" "\cb\00\00\00\01\00\00\00"
        "\cc\00\00\00\01\00\00\00" "\cd\00\00\00\01\00\00\00"
        "\ce\00\00\00\01\00\00\00" "\cf\00\00\00\01\00\00\00")
      (data (i32.const 200) "abcdefgh"))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $s-new (canon stream.new $s))
    (core func $s-write (canon stream.write $s (memory $mem) async))
    (core func $set-new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $poll (canon waitable-set.poll (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "s-new" (func $s-new (result i64)))
      (import "cm" "s-write" (func $s-write (param i32 i32 i32) (result i32)))
      (import "cm" "set-new" (func $set-new (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "poll" (func $poll (param i32 i32) (result i32)))
      (global $writer (mut i32) (i32.const 0))
      (func (export "start") (result i32)
        (local $pair i64)
        (local.set $pair (call $s-new))
        (global.set $writer (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32))))
        ;; no reader yet: BLOCKED, and pending from now on
        (if (i32.ne (call $s-write (global.get $writer) (i32.const 16) (i32.const 8))
                    (i32.const -1))
          (then unreachable))
        (i32.wrap_i64 (local.get $pair)))
      (func (export "finish") (result i32)
        (local $set i32) (local $code i32)
        (local.set $set (call $set-new))
        (call $join (global.get $writer) (local.get $set))
        (local.set $code (call $poll (local.get $set) (i32.const 96)))
        (call $join (global.get $writer) (i32.const 0))
        (i32.add (i32.mul (local.get $code) (i32.const 4096)) (i32.load (i32.const 100)))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "s-new" (func $s-new)) (export "s-write" (func $s-write))
        (export "set-new" (func $set-new)) (export "join" (func $join))
        (export "poll" (func $poll))))))
    (func (export "start") (result $s) (canon lift (core func $i "start")))
    (func (export "finish") (result u32) (canon lift (core func $i "finish"))))

  (component $r
    (type $s (stream string))
    (core module $memory
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 4096))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                         (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (core func $s-read (canon stream.read $s (memory $mem) (realloc $realloc) async))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "s-read" (func $s-read (param i32 i32 i32) (result i32)))
      (global $code (mut i32) (i32.const 0))
      (func (export "pass") (param $s i32) (result i32)
        (global.set $code (call $s-read (local.get $s) (i32.const 16) (i32.const 1)))
        (local.get $s))
      (func (export "eaten") (result i32)
        (i32.add (i32.mul (global.get $code) (i32.const 1000))
                 (i32.load8_u (i32.load (i32.const 16))))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "s-read" (func $s-read))))))
    (func (export "pass") (param "s" $s) (result $s) (canon lift (core func $i "pass")))
    (func (export "eaten") (result u32) (canon lift (core func $i "eaten"))))

  (component $t
    (type $s (stream string))
    (import "start" (func $start (result $s)))
    (import "pass" (func $pass (param "s" $s) (result $s)))
    (core module $memory
      (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $start (canon lower (func $start)))
    (core func $pass (canon lower (func $pass)))
    (core func $set-new (canon waitable-set.new))
    (core func $poll (canon waitable-set.poll (memory $mem)))
    (core func $set-drop (canon waitable-set.drop))
    (core module $m
      (import "cm" "start" (func $start (result i32)))
      (import "cm" "pass" (func $pass (param i32) (result i32)))
      (import "cm" "set-new" (func $set-new (result i32)))
      (import "cm" "poll" (func $poll (param i32 i32) (result i32)))
      (import "cm" "set-drop" (func $set-drop (param i32)))
      (func (export "run") (result i32)
        (local $s i32) (local $set i32)
        (local.set $s (call $pass (call $start)))
        (local.set $set (call $set-new))
        (if (call $poll (local.get $set) (i32.const 32)) (then unreachable))
        (call $set-drop (local.get $set))
        (local.get $s)))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "start" (func $start)) (export "pass" (func $pass))
        (export "set-new" (func $set-new)) (export "poll" (func $poll))
        (export "set-drop" (func $set-drop))))))
    (func (export "run") (result $s) (canon lift (core func $i "run"))))

  (instance $w (instantiate $w))
  (instance $r (instantiate $r))
  (instance $t (instantiate $t
    (with "start" (func $w "start"))
    (with "pass" (func $r "pass"))))
  (export "run" (func $t "run"))
  (export "finish" (func $w "finish"))
  (export "eaten" (func $r "eaten")))
