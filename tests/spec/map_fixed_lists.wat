;; Maps and fixed-length lists between components. A `map<string, u32>`
;; travels as a list of (key, value) entries, 12 bytes each: the provider
;; makes one of up to three entries (`make-map`), which is copied into the
;; user's memory with its keys, and takes one back (`sum-map`: the values
;; plus the keys' lengths). A `list<u32, 4>` is four flat parameters and,
;; as a result, four values behind a return pointer (`rev` reverses it); a
;; `list<string, 2>` is two strings' pointers and lengths (`pick` returns
;; one, trapping for an index past the end). A `list<u8, 20>` has more
;; than 16 flat values: it travels in memory (`sum20`). A map whose key is
;; not utf8 (`maps 50`) or whose entries lie past the memory's end (`maps
;; 100` and up) traps. The provider's functions are root exports too, so
;; the host passes and takes maps and fixed-length lists (the harness
;; calls them with generated values).
;; CALL maps 0 => [0]
;; CALL maps 1 => [11]
;; CALL maps 3 => [336]
;; CALL maps 7 => [336]
;; CALL fixed 5 => [8005]
;; CALL pick 0 => [5]
;; CALL pick 1 => [6]
;; CALL pick 2 => trap
;; CALL maps 50 => trap
;; CALL maps 100 => trap
;; CALL sum20 1 => [210]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      ;; keys at 0x100, the entries make-map returns at 0x200, its return
      ;; area at 0x300
      (data (i32.const 0x100) "abbccc\ff")
      ;; an entry whose key is not utf8
      (data (i32.const 0x240) "\06\01\00\00\01\00\00\00\01\00\00\00")
      (data (i32.const 0x200)
        "\00\01\00\00\01\00\00\00\0a\00\00\00"
        "\01\01\00\00\02\00\00\00\14\00\00\00"
        "\03\01\00\00\03\00\00\00\2c\01\00\00")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at
          (i32.and
            (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
            (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at))
      (func (export "make-map") (param $n i32) (result i32)
        (i32.store (i32.const 0x300) (i32.const 0x200))
        (i32.store (i32.const 0x304)
          (select (local.get $n) (i32.const 3) (i32.lt_u (local.get $n) (i32.const 3))))
        (if (i32.eq (local.get $n) (i32.const 50))
          (then
            (i32.store (i32.const 0x300) (i32.const 0x240))
            (i32.store (i32.const 0x304) (i32.const 1))))
        (if (i32.ge_u (local.get $n) (i32.const 100))
          (then (i32.store (i32.const 0x304) (i32.const 0x1000000))))
        (i32.const 0x300))
      ;; the sum of the 20 bytes at $p
      (func (export "sum20") (param $p i32) (result i32)
        (local $i i32) (local $sum i32)
        (loop $next
          (local.set $sum (i32.add (local.get $sum)
            (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 20))))
        (local.get $sum))
      (func (export "sum-map") (param $ptr i32) (param $len i32) (result i32)
        (local $sum i32)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $len)))
            (local.set $sum
              (i32.add (local.get $sum)
                (i32.add (i32.load offset=4 (local.get $ptr))
                         (i32.load offset=8 (local.get $ptr)))))
            (local.set $ptr (i32.add (local.get $ptr) (i32.const 12)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))
            (br $next)))
        (local.get $sum))
      (func (export "rev") (param i32 i32 i32 i32) (result i32)
        (i32.store (i32.const 0x400) (local.get 3))
        (i32.store (i32.const 0x404) (local.get 2))
        (i32.store (i32.const 0x408) (local.get 1))
        (i32.store (i32.const 0x40c) (local.get 0))
        (i32.const 0x400))
      (func (export "pick") (param $p0 i32) (param $l0 i32) (param $p1 i32) (param $l1 i32)
        (param $i i32) (result i32)
        (if (i32.ge_u (local.get $i) (i32.const 2)) (then unreachable))
        (i32.store (i32.const 0x500)
          (select (local.get $p1) (local.get $p0) (local.get $i)))
        (i32.store (i32.const 0x504)
          (select (local.get $l1) (local.get $l0) (local.get $i)))
        (i32.const 0x500)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (type $m (map string u32))
    (type $four (list u32 4))
    (type $two (list string 2))
    (type $twenty (list u8 20))
    (func (export "sum20") (param "a" $twenty) (result u32)
      (canon lift (core func $i "sum20") (memory $mem) (realloc $realloc)))
    (func (export "make-map") (param "n" u32) (result $m)
      (canon lift (core func $i "make-map") (memory $mem) (realloc $realloc)))
    (func (export "sum-map") (param "m" $m) (result u32)
      (canon lift (core func $i "sum-map") (memory $mem) (realloc $realloc)))
    (func (export "rev") (param "a" $four) (result $four)
      (canon lift (core func $i "rev") (memory $mem) (realloc $realloc)))
    (func (export "pick") (param "a" $two) (param "i" u32) (result string)
      (canon lift (core func $i "pick") (memory $mem) (realloc $realloc))))

  (component $user
    (type $m (map string u32))
    (type $four (list u32 4))
    (type $two (list string 2))
    (type $twenty (list u8 20))
    (import "provider" (instance $p
      (export "sum20" (func (param "a" $twenty) (result u32)))
      (export "make-map" (func (param "n" u32) (result $m)))
      (export "sum-map" (func (param "m" $m) (result u32)))
      (export "rev" (func (param "a" $four) (result $four)))
      (export "pick" (func (param "a" $two) (param "i" u32) (result string)))))
    (core module $mem
      (memory (export "mem") 1)
      (data (i32.const 0x100) "hellowasm!!!")
      (global $next (mut i32) (i32.const 0x1000))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at
          (i32.and
            (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
            (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at)))
    (core instance $mem (instantiate $mem))
    (alias core export $mem "mem" (core memory $memory))
    (alias core export $mem "realloc" (core func $realloc))
    (core func $sum20 (canon lower (func $p "sum20") (memory $memory) (realloc $realloc)))
    (core func $make-map (canon lower (func $p "make-map") (memory $memory) (realloc $realloc)))
    (core func $sum-map (canon lower (func $p "sum-map") (memory $memory) (realloc $realloc)))
    (core func $rev (canon lower (func $p "rev") (memory $memory) (realloc $realloc)))
    (core func $pick (canon lower (func $p "pick") (memory $memory) (realloc $realloc)))
    (core module $m
      (import "env" "mem" (memory 1))
      (import "p" "sum20" (func $sum20 (param i32) (result i32)))
      (import "p" "make-map" (func $make-map (param i32 i32)))
      (import "p" "sum-map" (func $sum-map (param i32 i32) (result i32)))
      (import "p" "rev" (func $rev (param i32 i32 i32 i32 i32)))
      (import "p" "pick" (func $pick (param i32 i32 i32 i32 i32 i32)))
      ;; the map made for n, copied here, handed back and summed
      (func (export "maps") (param $n i32) (result i32)
        (call $make-map (local.get $n) (i32.const 16))
        (call $sum-map (i32.load (i32.const 16)) (i32.load (i32.const 20))))
      ;; [n, n+1, n+2, n+3] reversed: its first element times 1000 plus
      ;; its last
      (func (export "fixed") (param $n i32) (result i32)
        (call $rev (local.get $n)
          (i32.add (local.get $n) (i32.const 1))
          (i32.add (local.get $n) (i32.const 2))
          (i32.add (local.get $n) (i32.const 3))
          (i32.const 32))
        (i32.add (i32.mul (i32.load (i32.const 32)) (i32.const 1000))
                 (i32.load (i32.const 44))))
      ;; [n, n+1, ..., n+19] summed by the provider
      (func (export "sum20") (param $n i32) (result i32)
        (local $i i32)
        (loop $next
          (i32.store8 (i32.add (i32.const 64) (local.get $i))
            (i32.add (local.get $n) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $next (i32.lt_u (local.get $i) (i32.const 20))))
        (call $sum20 (i32.const 64)))
      ;; the length of ["hello", "wasm!!"][i]
      (func (export "pick") (param $i i32) (result i32)
        (call $pick (i32.const 0x100) (i32.const 5) (i32.const 0x105) (i32.const 6)
          (local.get $i) (i32.const 48))
        (i32.load (i32.const 52))))
    (core instance $i (instantiate $m
      (with "env" (instance (export "mem" (memory $memory))))
      (with "p" (instance
        (export "sum20" (func $sum20))
        (export "make-map" (func $make-map))
        (export "sum-map" (func $sum-map))
        (export "rev" (func $rev))
        (export "pick" (func $pick))))))
    (func (export "maps") (param "n" u32) (result u32) (canon lift (core func $i "maps")))
    (func (export "fixed") (param "n" u32) (result u32) (canon lift (core func $i "fixed")))
    (func (export "pick") (param "i" u32) (result u32) (canon lift (core func $i "pick")))
    (func (export "sum20") (param "n" u32) (result u32) (canon lift (core func $i "sum20"))))

  (instance $provider (instantiate $provider))
  (instance $user (instantiate $user (with "provider" (instance $provider))))
  (export "maps" (func $user "maps"))
  (export "fixed" (func $user "fixed"))
  (export "pick" (func $user "pick"))
  (export "sum20" (func $user "sum20"))
  (export "sum-map" (func $provider "sum-map"))
  (export "make-map" (func $provider "make-map"))
  (export "rev" (func $provider "rev"))
  (export "pick-of" (func $provider "pick")))
