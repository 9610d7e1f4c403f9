;; Two components return strings to the host, each from a (ptr, len)
;; pair it keeps in its memory and never changes (the same addresses in
;; both); lifting must only read them: every call returns the same
;; string, and the pair still holds the component's own pointer.
;; CALL first-word => ["ab"]
;; CALL word => ["hi"]
;; CALL pair-ptr => [256]
;; CALL word => ["hi"]
;; CALL list => [[1, 2]]
;; CALL list => [[1, 2]]
;; CALL pair-ptr => [256]
;; CALL first-word => ["ab"]
(component
  (component $first
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "ab")
      (data (i32.const 0x800) "\00\01\00\00\02\00\00\00")
      (func (export "word") (result i32) (i32.const 0x800)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "word") (result string) (canon lift (core func $i "word") (memory $mem))))
  (component $second
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "hi")
      (data (i32.const 0x200) "\01\00\00\00\02\00\00\00")
      (data (i32.const 0x800) "\00\01\00\00\02\00\00\00\00\02\00\00\02\00\00\00")
      (func (export "word") (result i32) (i32.const 0x800))
      (func (export "list") (result i32) (i32.const 0x808))
      (func (export "pair-ptr") (result i32) (i32.load (i32.const 0x800))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $l (list u32))
    (func (export "word") (result string) (canon lift (core func $i "word") (memory $mem)))
    (func (export "list") (result $l) (canon lift (core func $i "list") (memory $mem)))
    (func (export "pair-ptr") (result u32) (canon lift (core func $i "pair-ptr"))))
  (instance $a (instantiate $first))
  (instance $b (instantiate $second))
  (export "first-word" (func $a "word"))
  (export "word" (func $b "word"))
  (export "list" (func $b "list"))
  (export "pair-ptr" (func $b "pair-ptr")))
