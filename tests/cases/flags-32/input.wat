;; Flags with 32 labels (the most wasmparser accepts; 40 would need two i32s but is rejected as invalid) as parameter and result.
(component
  (component $provider
    (core module $m
      (func (export "f") (param i32) (result i32) unreachable))
    (core instance $i (instantiate $m))
    (type $many' (flags "f0" "f1" "f2" "f3" "f4" "f5" "f6" "f7" "f8" "f9" "f10" "f11" "f12" "f13" "f14" "f15" "f16" "f17" "f18" "f19" "f20" "f21" "f22" "f23" "f24" "f25" "f26" "f27" "f28" "f29" "f30" "f31"))
    (export $many "many" (type $many'))
    (func $f (param "f" $many) (result $many)
      (canon lift (core func $i "f")))
    (instance $api (export "many" (type $many)) (export "f" (func $f)))
    (export "meld:case/api" (instance $api)))
  (component $consumer
    (import "meld:case/api" (instance $api
      (type $many' (flags "f0" "f1" "f2" "f3" "f4" "f5" "f6" "f7" "f8" "f9" "f10" "f11" "f12" "f13" "f14" "f15" "f16" "f17" "f18" "f19" "f20" "f21" "f22" "f23" "f24" "f25" "f26" "f27" "f28" "f29" "f30" "f31"))
      (export "many" (type $many (eq $many')))
      (export "f" (func (param "f" $many) (result $many)))))
    (core func $f (canon lower (func $api "f")))
    (core module $m
      (import "api" "f" (func $f (param i32) (result i32)))
      (export "f" (func $f)))
    (core instance (instantiate $m (with "api" (instance (export "f" (func $f)))))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "meld:case/api" (instance $p "meld:case/api")))))
