;; Empty strings at unusual pointers, sent by a utf8 consumer (`pass8`)
;; and a utf16 one (`pass16`) to a utf8 provider: entry 0 points at the
;; end of memory, 1 past it, 2 at 0xffffffff, 3 is misaligned for utf16.
;; CALL pass8 0 => [1]
;; CALL pass8 1 => trap
;; CALL pass8 2 => trap
;; CALL pass8 3 => [1]
;; CALL pass16 0 => [1]
;; CALL pass16 1 => trap
;; CALL pass16 2 => trap
;; CALL pass16 3 => trap
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0x100))
      (func (export "take") (param i32 i32) (result i32) (i32.add (i32.mul (local.get 1) (i32.const 1000)) (i32.const 1))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (func (export "take") (param "s" string) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc))))
  (component $consumer
    (import "take" (func $take (param "s" string) (result u32)))
    (core module $heap (memory (export "mem") 1))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (core func $take8 (canon lower (func $take) (memory $mem)))
    (core func $take16 (canon lower (func $take) (memory $mem) string-encoding=utf16))
    (core module $m
      (import "p" "take8" (func $take8 (param i32 i32) (result i32)))
      (import "p" "take16" (func $take16 (param i32 i32) (result i32)))
      (func $ptr (param i32) (result i32)
        (block $b3 (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 $b3 (i32.and (local.get 0) (i32.const 3))))
          (return (i32.const 65536)))
          (return (i32.const 65538)))
          (return (i32.const -1)))
        (i32.const 0x101))
      (func (export "pass8") (param i32) (result i32) (call $take8 (call $ptr (local.get 0)) (i32.const 0)))
      (func (export "pass16") (param i32) (result i32) (call $take16 (call $ptr (local.get 0)) (i32.const 0))))
    (core instance $i (instantiate $m
      (with "p" (instance (export "take8" (func $take8)) (export "take16" (func $take16))))))
    (func (export "pass8") (param "case" u32) (result u32) (canon lift (core func $i "pass8")))
    (func (export "pass16") (param "case" u32) (result u32) (canon lift (core func $i "pass16"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "take" (func $p "take"))))
  (export "pass8" (func $c "pass8"))
  (export "pass16" (func $c "pass16")))
