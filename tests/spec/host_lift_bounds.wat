;; The host receives a string and a list<u32> lifted straight from a
;; component's memory (no adapter between components): in bounds they
;; arrive, a pointer or length beyond the memory's current size traps
;; (memory is one page; entries: 0 in bounds, 1 ends one byte past the
;; page, 2 starts past it, 3 wraps around). A second component with a
;; memory of its own makes `--memory shared` use regions.
;; CALL string 0 => ["ok"]
;; CALL string 1 => trap
;; CALL string 2 => trap
;; CALL string 3 => trap
;; CALL list 0 => [[1, 2]]
;; CALL list 1 => trap
;; CALL list 2 => trap
;; CALL list 3 => trap
;; CALL size => [1]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "ok")
      (data (i32.const 0x200) "\01\00\00\00\02\00\00\00")
      ;; (ptr, len) pairs for strings at 0x800, for lists at 0x840
      (data (i32.const 0x800) "\00\01\00\00\02\00\00\00")
      (data (i32.const 0x808) "\fe\ff\00\00\03\00\00\00")
      (data (i32.const 0x810) "\00\00\01\00\01\00\00\00")
      (data (i32.const 0x818) "\00\01\00\00\ff\ff\ff\ff")
      (data (i32.const 0x840) "\00\02\00\00\02\00\00\00")
      (data (i32.const 0x848) "\f8\ff\00\00\03\00\00\00")
      (data (i32.const 0x850) "\00\00\01\00\01\00\00\00")
      (data (i32.const 0x858) "\00\02\00\00\00\00\00\40")
      (func (export "string") (param i32) (result i32)
        (i32.add (i32.const 0x800) (i32.shl (i32.and (local.get 0) (i32.const 3)) (i32.const 3))))
      (func (export "list") (param i32) (result i32)
        (i32.add (i32.const 0x840) (i32.shl (i32.and (local.get 0) (i32.const 3)) (i32.const 3)))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $l (list u32))
    (func (export "string") (param "case" u32) (result string)
      (canon lift (core func $i "string") (memory $mem)))
    (func (export "list") (param "case" u32) (result $l)
      (canon lift (core func $i "list") (memory $mem))))
  (component $other
    (core module $m
      (memory (export "mem") 1)
      (func (export "size") (result i32) (memory.size)))
    (core instance $i (instantiate $m))
    (func (export "size") (result u32) (canon lift (core func $i "size"))))
  (instance $p (instantiate $provider))
  (instance $o (instantiate $other))
  (export "size" (func $o "size"))
  (export "string" (func $p "string"))
  (export "list" (func $p "list")))
