;; A record with a string field, flat in three values.
(component
  (component $provider
    (core module $m
      (memory (export "memory") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
      (func (export "f") (param i32) (param i32) (param i32) (result i32) unreachable))
    (core instance $i (instantiate $m))
    (alias core export $i "memory" (core memory $memory))
    (alias core export $i "realloc" (core func $realloc))
    (type $person' (record (field "name" string) (field "age" u8)))
    (export $person "person" (type $person'))
    (func $f (param "p" $person) (result u32)
      (canon lift (core func $i "f") (memory $memory) (realloc $realloc)))
    (instance $api (export "person" (type $person)) (export "f" (func $f)))
    (export "meld:case/api" (instance $api)))
  (component $consumer
    (import "meld:case/api" (instance $api
      (type $person' (record (field "name" string) (field "age" u8)))
      (export "person" (type $person (eq $person')))
      (export "f" (func (param "p" $person) (result u32)))))
    (core module $memory-module
      (memory (export "memory") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64))
    (core instance $mi (instantiate $memory-module))
    (alias core export $mi "memory" (core memory $memory))
    (alias core export $mi "realloc" (core func $realloc))
    (core func $f (canon lower (func $api "f") (memory $memory) (realloc $realloc)))
    (core module $m
      (import "api" "f" (func $f (param i32) (param i32) (param i32) (result i32)))
      (export "f" (func $f)))
    (core instance (instantiate $m (with "api" (instance (export "f" (func $f)))))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:case/api" (instance $p "meld:case/api")))))
