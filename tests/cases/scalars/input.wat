;; Scalars that need fixups: u8 masked, s16 sign-extended, bool normalised, char checked, s8 result sign-extended.
(component
  (component $provider
    (core module $m
      (func (export "f") (param i32) (param i32) (param i32) (param i32) (result i32) unreachable))
    (core instance $i (instantiate $m))
    (func $f (param "a" u8) (param "b" s16) (param "c" bool) (param "d" char) (result s8)
      (canon lift (core func $i "f")))
    (instance $api (export "f" (func $f)))
    (export "meld:case/api" (instance $api)))
  (component $consumer
    (import "meld:case/api" (instance $api
      (export "f" (func (param "a" u8) (param "b" s16) (param "c" bool) (param "d" char) (result s8)))))
    (core func $f (canon lower (func $api "f")))
    (core module $m
      (import "api" "f" (func $f (param i32) (param i32) (param i32) (param i32) (result i32)))
      (export "f" (func $f)))
    (core instance (instantiate $m (with "api" (instance (export "f" (func $f)))))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:case/api" (instance $p "meld:case/api")))))
