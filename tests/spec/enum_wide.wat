;; An enum of 300 cases: its discriminant is a u16 in memory (a list
;; element is two bytes) and an i32 flat; 299 is the last valid one.
;; CALL pass 299 => [299]
;; CALL pass 300 => trap
;; CALL list 299 => [4008575275]
;; CALL list 300 => trap
;; CALL list 65835 => [4008575275]
(component
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (func (export "id") (param i32) (result i32) (local.get 0))
      (func (export "one") (param i32) (result i32)
        (i32.store (i32.const 0x100) (local.get 0))
        (i32.store (i32.const 16) (i32.const 0x100))
        (i32.store (i32.const 20) (i32.const 1))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (type $e' (enum "e0" "e1" "e2" "e3" "e4" "e5" "e6" "e7" "e8" "e9" "e10" "e11" "e12" "e13" "e14" "e15" "e16" "e17" "e18" "e19" "e20" "e21" "e22" "e23" "e24" "e25" "e26" "e27" "e28" "e29" "e30" "e31" "e32" "e33" "e34" "e35" "e36" "e37" "e38" "e39" "e40" "e41" "e42" "e43" "e44" "e45" "e46" "e47" "e48" "e49" "e50" "e51" "e52" "e53" "e54" "e55" "e56" "e57" "e58" "e59" "e60" "e61" "e62" "e63" "e64" "e65" "e66" "e67" "e68" "e69" "e70" "e71" "e72" "e73" "e74" "e75" "e76" "e77" "e78" "e79" "e80" "e81" "e82" "e83" "e84" "e85" "e86" "e87" "e88" "e89" "e90" "e91" "e92" "e93" "e94" "e95" "e96" "e97" "e98" "e99" "e100" "e101" "e102" "e103" "e104" "e105" "e106" "e107" "e108" "e109" "e110" "e111" "e112" "e113" "e114" "e115" "e116" "e117" "e118" "e119" "e120" "e121" "e122" "e123" "e124" "e125" "e126" "e127" "e128" "e129" "e130" "e131" "e132" "e133" "e134" "e135" "e136" "e137" "e138" "e139" "e140" "e141" "e142" "e143" "e144" "e145" "e146" "e147" "e148" "e149" "e150" "e151" "e152" "e153" "e154" "e155" "e156" "e157" "e158" "e159" "e160" "e161" "e162" "e163" "e164" "e165" "e166" "e167" "e168" "e169" "e170" "e171" "e172" "e173" "e174" "e175" "e176" "e177" "e178" "e179" "e180" "e181" "e182" "e183" "e184" "e185" "e186" "e187" "e188" "e189" "e190" "e191" "e192" "e193" "e194" "e195" "e196" "e197" "e198" "e199" "e200" "e201" "e202" "e203" "e204" "e205" "e206" "e207" "e208" "e209" "e210" "e211" "e212" "e213" "e214" "e215" "e216" "e217" "e218" "e219" "e220" "e221" "e222" "e223" "e224" "e225" "e226" "e227" "e228" "e229" "e230" "e231" "e232" "e233" "e234" "e235" "e236" "e237" "e238" "e239" "e240" "e241" "e242" "e243" "e244" "e245" "e246" "e247" "e248" "e249" "e250" "e251" "e252" "e253" "e254" "e255" "e256" "e257" "e258" "e259" "e260" "e261" "e262" "e263" "e264" "e265" "e266" "e267" "e268" "e269" "e270" "e271" "e272" "e273" "e274" "e275" "e276" "e277" "e278" "e279" "e280" "e281" "e282" "e283" "e284" "e285" "e286" "e287" "e288" "e289" "e290" "e291" "e292" "e293" "e294" "e295" "e296" "e297" "e298" "e299"))
    (export $e "e" (type $e'))
    (type $l (list $e))
    (func (export "take") (param "x" $e) (result u32) (canon lift (core func $i "id")))
    (func (export "list") (param "x" u32) (result $l) (canon lift (core func $i "one") (memory $mem))))
  (component $consumer
    (type $e' (enum "e0" "e1" "e2" "e3" "e4" "e5" "e6" "e7" "e8" "e9" "e10" "e11" "e12" "e13" "e14" "e15" "e16" "e17" "e18" "e19" "e20" "e21" "e22" "e23" "e24" "e25" "e26" "e27" "e28" "e29" "e30" "e31" "e32" "e33" "e34" "e35" "e36" "e37" "e38" "e39" "e40" "e41" "e42" "e43" "e44" "e45" "e46" "e47" "e48" "e49" "e50" "e51" "e52" "e53" "e54" "e55" "e56" "e57" "e58" "e59" "e60" "e61" "e62" "e63" "e64" "e65" "e66" "e67" "e68" "e69" "e70" "e71" "e72" "e73" "e74" "e75" "e76" "e77" "e78" "e79" "e80" "e81" "e82" "e83" "e84" "e85" "e86" "e87" "e88" "e89" "e90" "e91" "e92" "e93" "e94" "e95" "e96" "e97" "e98" "e99" "e100" "e101" "e102" "e103" "e104" "e105" "e106" "e107" "e108" "e109" "e110" "e111" "e112" "e113" "e114" "e115" "e116" "e117" "e118" "e119" "e120" "e121" "e122" "e123" "e124" "e125" "e126" "e127" "e128" "e129" "e130" "e131" "e132" "e133" "e134" "e135" "e136" "e137" "e138" "e139" "e140" "e141" "e142" "e143" "e144" "e145" "e146" "e147" "e148" "e149" "e150" "e151" "e152" "e153" "e154" "e155" "e156" "e157" "e158" "e159" "e160" "e161" "e162" "e163" "e164" "e165" "e166" "e167" "e168" "e169" "e170" "e171" "e172" "e173" "e174" "e175" "e176" "e177" "e178" "e179" "e180" "e181" "e182" "e183" "e184" "e185" "e186" "e187" "e188" "e189" "e190" "e191" "e192" "e193" "e194" "e195" "e196" "e197" "e198" "e199" "e200" "e201" "e202" "e203" "e204" "e205" "e206" "e207" "e208" "e209" "e210" "e211" "e212" "e213" "e214" "e215" "e216" "e217" "e218" "e219" "e220" "e221" "e222" "e223" "e224" "e225" "e226" "e227" "e228" "e229" "e230" "e231" "e232" "e233" "e234" "e235" "e236" "e237" "e238" "e239" "e240" "e241" "e242" "e243" "e244" "e245" "e246" "e247" "e248" "e249" "e250" "e251" "e252" "e253" "e254" "e255" "e256" "e257" "e258" "e259" "e260" "e261" "e262" "e263" "e264" "e265" "e266" "e267" "e268" "e269" "e270" "e271" "e272" "e273" "e274" "e275" "e276" "e277" "e278" "e279" "e280" "e281" "e282" "e283" "e284" "e285" "e286" "e287" "e288" "e289" "e290" "e291" "e292" "e293" "e294" "e295" "e296" "e297" "e298" "e299"))
    (import "e" (type $e (eq $e')))
    (type $l (list $e))
    (import "take" (func $take (param "x" $e) (result u32)))
    (import "list" (func $list (param "x" u32) (result $l)))
    (core module $heap
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0x200)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $take (canon lower (func $take)))
    (core func $list (canon lower (func $list) (memory $mem) (realloc $realloc)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "take" (func $take (param i32) (result i32)))
      (import "p" "list" (func $list (param i32 i32)))
      (func (export "pass") (param i32) (result i32) (call $take (local.get 0)))
      ;; the element's four bytes as received (the buffer was 0xee-filled)
      (func (export "list") (param i32) (result i32)
        (memory.fill (i32.const 0x200) (i32.const 0xee) (i32.const 8))
        (call $list (local.get 0) (i32.const 16))
        (i32.load (i32.load (i32.const 16)))))
    (core instance $i (instantiate $m (with "h" (instance $heap))
      (with "p" (instance (export "take" (func $take)) (export "list" (func $list))))))
    (func (export "pass") (param "x" u32) (result u32) (canon lift (core func $i "pass")))
    (func (export "list") (param "x" u32) (result u32) (canon lift (core func $i "list"))))
  (instance $p (instantiate $provider))
  (alias export $p "e" (type $e))
  (instance $c (instantiate $consumer (with "e" (type $e)) (with "take" (func $p "take")) (with "list" (func $p "list"))))
  (export "pass" (func $c "pass"))
  (export "list" (func $c "list")))
