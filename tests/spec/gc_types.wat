;; Inner modules that use the GC and typed function references proposals
;; internally: struct and array types, recursive type groups, subtypes,
;; typed tables and globals, `call_ref`, casts. Two components define
;; types that look alike; two modules of one component pass a struct
;; between them (their types are the same canonical type). The fused
;; module keeps every type's identity: a `call_indirect` whose expected
;; type is a function type in a recursive group does not accept a function
;; of an equal-looking type of its own, and traps fused as it does in the
;; original.
;; CALL sum 3 => [6]
;; CALL sum 10 => [55]
;; CALL depth 4 => [4]
;; CALL pair 7 => [22]
;; CALL cast 1 => [1]
;; CALL cast 2 => [2]
;; CALL cast 0 => trap
;; CALL indirect 0 => [10]
;; CALL indirect 1 => trap
;; CALL indirect 2 => [12]
;; CALL bytes 2 => [99]
;; CALL bytes 9 => trap
;; CALL other 5 => [105]
(component
  (component $lists
    (core module $shapes
      ;; a list of i32 as a recursive struct, and a function type over it
      (rec
        (type $node (struct (field $v i32) (field $next (ref null $node))))
        (type $visit (func (param (ref null $node)) (result i32))))
      (type $point (sub (struct (field i32))))
      (type $point3 (sub final $point (struct (field i32) (field i32))))
      (func $make (export "make") (param $n i32) (result (ref null $node))
        (local $l (ref null $node))
        ;; (at most 1,023 nodes: the harness calls with any number too)
        (local.set $n (i32.and (local.get $n) (i32.const 1023)))
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $l (struct.new $node (local.get $n) (local.get $l)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $l))
      (func $point (export "point") (param i32) (result (ref $point))
        (if (result (ref $point)) (i32.eq (local.get 0) (i32.const 1))
          (then (struct.new $point (i32.const 1)))
          (else (struct.new $point3 (local.get 0) (i32.const 0))))))
    (core module $walker
      (rec
        (type $node (struct (field $v i32) (field $next (ref null $node))))
        (type $visit (func (param (ref null $node)) (result i32))))
      (type $point (sub (struct (field i32))))
      (type $point3 (sub final $point (struct (field i32) (field i32))))
      (import "shapes" "make" (func $make (param i32) (result (ref null $node))))
      (import "shapes" "point" (func $point (param i32) (result (ref $point))))
      (global $visitor (mut (ref null $visit)) (ref.null $visit))
      (table $visitors 2 (ref null $visit))
      (elem declare func $sum $count)
      (func $sum (type $visit)
        (if (result i32) (ref.is_null (local.get 0))
          (then (i32.const 0))
          (else
            (i32.add
              (struct.get $node $v (local.get 0))
              (call_ref $visit (struct.get $node $next (local.get 0))
                (global.get $visitor))))))
      (func $count (type $visit)
        (if (result i32) (ref.is_null (local.get 0))
          (then (i32.const 0))
          (else
            (i32.add (i32.const 1)
              (call $count (struct.get $node $next (local.get 0)))))))
      (func (export "sum") (param i32) (result i32)
        (global.set $visitor (ref.func $sum))
        (call_ref $visit (call $make (local.get 0)) (global.get $visitor)))
      (func (export "depth") (param i32) (result i32)
        (table.set $visitors (i32.const 1) (ref.func $count))
        (call_indirect $visitors (type $visit)
          (call $make (local.get 0)) (i32.const 1)))
      ;; 1: a plain point; 2: a point3 (field 1 is 2); else: a failed cast
      (func (export "cast") (param i32) (result i32)
        (local $p (ref $point))
        (local.set $p (call $point (select (i32.const 1) (i32.const 2)
          (i32.eq (local.get 0) (i32.const 1)))))
        (if (result i32) (i32.eqz (local.get 0))
          (then (struct.get $point3 1 (ref.cast (ref $point3) (struct.new $point (i32.const 0)))))
          (else
            (if (result i32) (ref.test (ref $point3) (local.get $p))
              (then (struct.get $point3 0 (ref.cast (ref $point3) (local.get $p))))
              (else (struct.get $point 0 (local.get $p))))))))
    (core instance $s (instantiate $shapes))
    (core instance $w (instantiate $walker (with "shapes" (instance $s))))
    (func (export "sum") (param "n" u32) (result u32) (canon lift (core func $w "sum")))
    (func (export "depth") (param "n" u32) (result u32) (canon lift (core func $w "depth")))
    (func (export "cast") (param "n" u32) (result u32) (canon lift (core func $w "cast"))))

  (component $arrays
    (core module $m
      ;; the same struct as `lists`' point, and a function type of a
      ;; recursive group whose twin outside a group is another type
      (type $point (sub (struct (field i32))))
      (type $bytes (array (mut i8)))
      (rec (type $f (func (param i32) (result i32))) (type $unused (struct)))
      (type $g (func (param i32) (result i32)))
      (memory 1)
      (data $d "abc")
      (table $t 3 funcref)
      (elem (table $t) (i32.const 0) func $inc $twin $inc2)
      (func $inc (type $f) (i32.add (local.get 0) (i32.const 10)))
      (func $twin (type $g) (i32.add (local.get 0) (i32.const 20)))
      (func $inc2 (type $f) (i32.add (local.get 0) (i32.const 10)))
      (func (export "indirect") (param i32) (result i32)
        (call_indirect $t (type $f) (local.get 0) (local.get 0)))
      ;; an array of the segment's bytes from 1, n long; its last byte
      (func (export "bytes") (param i32) (result i32)
        (local $a (ref $bytes))
        (local.set $a (array.new_data $bytes $d (i32.const 1) (local.get 0)))
        (array.get_u $bytes (local.get $a)
          (i32.sub (array.len (local.get $a)) (i32.const 1))))
      (func (export "other") (param i32) (result i32)
        (i32.add (i32.const 100)
          (struct.get $point 0 (struct.new $point (local.get 0))))))
    (core instance $i (instantiate $m))
    (func (export "indirect") (param "n" u32) (result u32) (canon lift (core func $i "indirect")))
    (func (export "bytes") (param "n" u32) (result u32) (canon lift (core func $i "bytes")))
    (func (export "other") (param "n" u32) (result u32) (canon lift (core func $i "other"))))

  (component $user
    (import "lists" (instance $l
      (export "sum" (func (param "n" u32) (result u32)))
      (export "depth" (func (param "n" u32) (result u32)))
      (export "cast" (func (param "n" u32) (result u32)))))
    (import "arrays" (instance $a
      (export "indirect" (func (param "n" u32) (result u32)))
      (export "bytes" (func (param "n" u32) (result u32)))
      (export "other" (func (param "n" u32) (result u32)))))
    (core func $sum (canon lower (func $l "sum")))
    (core func $depth (canon lower (func $l "depth")))
    (core func $cast (canon lower (func $l "cast")))
    (core func $indirect (canon lower (func $a "indirect")))
    (core func $bytes (canon lower (func $a "bytes")))
    (core func $other (canon lower (func $a "other")))
    (core module $m
      (type $pair (struct (field i32) (field i32)))
      (import "x" "sum" (func $sum (param i32) (result i32)))
      (import "x" "depth" (func $depth (param i32) (result i32)))
      (import "x" "cast" (func $cast (param i32) (result i32)))
      (import "x" "indirect" (func $indirect (param i32) (result i32)))
      (import "x" "bytes" (func $bytes (param i32) (result i32)))
      (import "x" "other" (func $other (param i32) (result i32)))
      (func (export "sum") (param i32) (result i32) (call $sum (local.get 0)))
      (func (export "depth") (param i32) (result i32) (call $depth (local.get 0)))
      (func (export "cast") (param i32) (result i32) (call $cast (local.get 0)))
      (func (export "indirect") (param i32) (result i32) (call $indirect (local.get 0)))
      (func (export "bytes") (param i32) (result i32) (call $bytes (local.get 0)))
      (func (export "other") (param i32) (result i32) (call $other (local.get 0)))
      ;; n + 2n + 1 through a struct
      (func (export "pair") (param i32) (result i32)
        (local $p (ref $pair))
        (local.set $p (struct.new $pair (local.get 0)
          (i32.add (i32.shl (local.get 0) (i32.const 1)) (i32.const 1))))
        (i32.add (struct.get $pair 0 (local.get $p)) (struct.get $pair 1 (local.get $p)))))
    (core instance $i (instantiate $m
      (with "x" (instance
        (export "sum" (func $sum))
        (export "depth" (func $depth))
        (export "cast" (func $cast))
        (export "indirect" (func $indirect))
        (export "bytes" (func $bytes))
        (export "other" (func $other))))))
    (func (export "sum") (param "n" u32) (result u32) (canon lift (core func $i "sum")))
    (func (export "depth") (param "n" u32) (result u32) (canon lift (core func $i "depth")))
    (func (export "pair") (param "n" u32) (result u32) (canon lift (core func $i "pair")))
    (func (export "cast") (param "n" u32) (result u32) (canon lift (core func $i "cast")))
    (func (export "indirect") (param "n" u32) (result u32) (canon lift (core func $i "indirect")))
    (func (export "bytes") (param "n" u32) (result u32) (canon lift (core func $i "bytes")))
    (func (export "other") (param "n" u32) (result u32) (canon lift (core func $i "other"))))

  (instance $lists (instantiate $lists))
  (instance $arrays (instantiate $arrays))
  (instance $user (instantiate $user
    (with "lists" (instance $lists))
    (with "arrays" (instance $arrays))))
  (export "sum" (func $user "sum"))
  (export "depth" (func $user "depth"))
  (export "pair" (func $user "pair"))
  (export "cast" (func $user "cast"))
  (export "indirect" (func $user "indirect"))
  (export "bytes" (func $user "bytes"))
  (export "other" (func $user "other")))
