;; Strings that the host writes into meld's memory and meld copies into
;; the component (`adapt/staged.rs`): the exports take a list of borrowed
;; things (handles in memory), so the host writes their parameters into
;; meld's stage heap; `label` takes one too, so the host reads its
;; parameters from meld's scratch area and writes its result there. In
;; the original the host writes these strings into the component's memory
;; itself, with `realloc` calls that depend on the component's string
;; encoding (twice the utf8 length, then a shrink, for utf16; ...). The
;; component's `realloc` logs every call, so the fused output must make
;; exactly the same calls.
;;
;; `take-<e>(things, text)` receives the text in encoding `<e>` (utf8,
;; utf16, latin1 for latin1+utf16); `relay-<e>(things, text)` also passes
;; the things and the text it received to the host's `label`, lowered in
;; the same encoding, which returns the text as it was given. Both log
;; each string received as (-1, ptr, len, fnv-1a hash of its bytes) after
;; the `realloc` calls' (old ptr, old size, align, new size); `log()`
;; gives the log.
(component
  (import "thing" (type $thing (sub resource)))
  (type $things (list (borrow $thing)))
  (import "label" (func $label (param "things" $things) (param "text" string) (result string)))
  (core module $base
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 0x1000))
    (global $log (mut i32) (i32.const 0x8000))
    (func $entry (export "entry") (param i32 i32 i32 i32)
      (i32.store (global.get $log) (local.get 0))
      (i32.store offset=4 (global.get $log) (local.get 1))
      (i32.store offset=8 (global.get $log) (local.get 2))
      (i32.store offset=12 (global.get $log) (local.get 3))
      (global.set $log (i32.add (global.get $log) (i32.const 16))))
    ;; a bump allocator that copies a block it resizes
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32)
        (param $size i32) (result i32)
      (local $at i32)
      (call $entry (local.get $old) (local.get $old_size) (local.get $align) (local.get $size))
      (local.set $at (i32.and
        (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
      (global.set $next (i32.add (local.get $at) (local.get $size)))
      (if (local.get $old)
        (then (memory.copy (local.get $at) (local.get $old)
          (select (local.get $old_size) (local.get $size)
            (i32.lt_u (local.get $old_size) (local.get $size))))))
      (local.get $at))
    ;; logs the string at (ptr, len) of encoding 0 utf8, 1 utf16, 2
    ;; latin1+utf16
    (func (export "received") (param $enc i32) (param $ptr i32) (param $len i32)
      (local $bytes i32) (local $i i32) (local $h i32)
      (local.set $bytes (local.get $len))
      (if (i32.eq (local.get $enc) (i32.const 1))
        (then (local.set $bytes (i32.shl (local.get $len) (i32.const 1)))))
      (if (i32.and (i32.eq (local.get $enc) (i32.const 2))
                   (i32.ne (i32.and (local.get $len) (i32.const 0x80000000)) (i32.const 0)))
        (then (local.set $bytes
          (i32.shl (i32.and (local.get $len) (i32.const 0x7fffffff)) (i32.const 1)))))
      (local.set $h (i32.const 0x811c9dc5))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
          (local.set $h (i32.mul
            (i32.xor (local.get $h) (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
            (i32.const 0x01000193)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (call $entry (i32.const -1) (local.get $ptr) (local.get $len) (local.get $h)))
    (func (export "log") (result i32)
      (i32.store (i32.const 0x10) (i32.const 0x8000))
      (i32.store (i32.const 0x14)
        (i32.shr_u (i32.sub (global.get $log) (i32.const 0x8000)) (i32.const 2)))
      (i32.const 0x10)))
  (core instance $b (instantiate $base))
  (alias core export $b "mem" (core memory $mem))
  (alias core export $b "realloc" (core func $realloc))
  (core func $label-0 (canon lower (func $label) (memory $mem) (realloc $realloc)))
  (core func $label-1 (canon lower (func $label) (memory $mem) (realloc $realloc)
    string-encoding=utf16))
  (core func $label-2 (canon lower (func $label) (memory $mem) (realloc $realloc)
    string-encoding=latin1+utf16))
  (core func $drop (canon resource.drop $thing))
  (core module $main
    (import "b" "received" (func $received (param i32 i32 i32)))
    (import "b" "mem" (memory 1))
    (import "h" "label-0" (func $label-0 (param i32 i32 i32 i32 i32)))
    (import "h" "label-1" (func $label-1 (param i32 i32 i32 i32 i32)))
    (import "h" "label-2" (func $label-2 (param i32 i32 i32 i32 i32)))
    (import "h" "drop" (func $drop (param i32)))
    ;; borrows end with the call
    (func $drop-all (param $things i32) (param $n i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (call $drop (i32.load (local.get $things)))
          (local.set $things (i32.add (local.get $things) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next))))
    (func $take (param $enc i32) (param $things i32) (param $n i32) (param $ptr i32)
        (param $len i32) (result i32)
      (call $received (local.get $enc) (local.get $ptr) (local.get $len))
      (call $drop-all (local.get $things) (local.get $n))
      (local.get $len))
    (func $relay (param $enc i32) (param $things i32) (param $n i32) (param $ptr i32)
        (param $len i32) (result i32)
      (call $received (local.get $enc) (local.get $ptr) (local.get $len))
      (if (i32.eqz (local.get $enc))
        (then (call $label-0 (local.get $things) (local.get $n) (local.get $ptr) (local.get $len)
          (i32.const 0x20))))
      (if (i32.eq (local.get $enc) (i32.const 1))
        (then (call $label-1 (local.get $things) (local.get $n) (local.get $ptr) (local.get $len)
          (i32.const 0x20))))
      (if (i32.eq (local.get $enc) (i32.const 2))
        (then (call $label-2 (local.get $things) (local.get $n) (local.get $ptr) (local.get $len)
          (i32.const 0x20))))
      (call $received (local.get $enc) (i32.load (i32.const 0x20)) (i32.load (i32.const 0x24)))
      (call $drop-all (local.get $things) (local.get $n))
      (i32.load (i32.const 0x24)))
    (func (export "take-0") (param i32 i32 i32 i32) (result i32)
      (call $take (i32.const 0) (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "take-1") (param i32 i32 i32 i32) (result i32)
      (call $take (i32.const 1) (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "take-2") (param i32 i32 i32 i32) (result i32)
      (call $take (i32.const 2) (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "relay-0") (param i32 i32 i32 i32) (result i32)
      (call $relay (i32.const 0) (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "relay-1") (param i32 i32 i32 i32) (result i32)
      (call $relay (i32.const 1) (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "relay-2") (param i32 i32 i32 i32) (result i32)
      (call $relay (i32.const 2) (local.get 0) (local.get 1) (local.get 2) (local.get 3))))
  (core instance $i (instantiate $main
    (with "b" (instance $b))
    (with "h" (instance
      (export "label-0" (func $label-0))
      (export "label-1" (func $label-1))
      (export "label-2" (func $label-2))
      (export "drop" (func $drop))))))
  (func (export "take-utf8") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "take-0") (memory $mem) (realloc $realloc)))
  (func (export "take-utf16") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "take-1") (memory $mem) (realloc $realloc) string-encoding=utf16))
  (func (export "take-latin1") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "take-2") (memory $mem) (realloc $realloc)
      string-encoding=latin1+utf16))
  (func (export "relay-utf8") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "relay-0") (memory $mem) (realloc $realloc)))
  (func (export "relay-utf16") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "relay-1") (memory $mem) (realloc $realloc) string-encoding=utf16))
  (func (export "relay-latin1") (param "things" $things) (param "text" string) (result u32)
    (canon lift (core func $i "relay-2") (memory $mem) (realloc $realloc)
      string-encoding=latin1+utf16))
  (type $words (list u32))
  (func (export "log") (result $words) (canon lift (core func $b "log") (memory $mem))))
