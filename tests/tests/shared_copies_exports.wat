;; Two instances of one component whose exports return results through
;; memory that point into themselves: `text` a string over its own return
;; area (mode 0), the secret at 0 (1), a string past the memory's end (2),
;; invalid utf8 (3); `texts` a list of two strings, each over its own
;; element (the addresses ASCII characters, so that the bytes are utf8).
;; The post-return records the address it is given (`last-post`).
;; Fused with one memory, the second instance's pointers move by its
;; region's base for the host: the host must still read the bytes the
;; component wrote, never the moved pointer fields, and the post-return
;; must get the component's own return area.
(component
  (component $c
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0) "SECRET!!")
      (data (i32.const 300) "\ff\fe")
      (func (export "text") (param $mode i32) (result i32)
        (i32.store (i32.const 64)
          (select (i32.const 64)
            (select (i32.const 0)
              (select (i32.const 0xffff_fff0) (i32.const 300)
                (i32.eq (local.get $mode) (i32.const 2)))
              (i32.eq (local.get $mode) (i32.const 1)))
            (i32.eqz (local.get $mode))))
        (i32.store (i32.const 68) (select (i32.const 2) (i32.const 8)
          (i32.eq (local.get $mode) (i32.const 3))))
        (i32.const 64))
      (func (export "texts") (result i32)
        (i32.store (i32.const 64) (i32.const 72))
        (i32.store (i32.const 68) (i32.const 2))
        (i32.store (i32.const 72) (i32.const 72))
        (i32.store (i32.const 76) (i32.const 8))
        (i32.store (i32.const 80) (i32.const 80))
        (i32.store (i32.const 84) (i32.const 8))
        (i32.const 64))
      (func (export "post") (param i32) (i32.store (i32.const 400) (local.get 0)))
      (func (export "last-post") (result i32) (i32.load (i32.const 400))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "text") (param "mode" u32) (result string)
      (canon lift (core func $i "text") (memory $mem) (post-return (core func $i "post"))))
    (func (export "texts") (result (list string))
      (canon lift (core func $i "texts") (memory $mem) (post-return (core func $i "post"))))
    (func (export "last-post") (result u32) (canon lift (core func $i "last-post"))))
  (instance $a (instantiate $c))
  (instance $b (instantiate $c))
  (export "a" (instance $a))
  (export "b" (instance $b)))
