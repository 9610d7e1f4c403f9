
  (func $"adapt meld:case/api#f" (;1;) (type 0) (param i32 i32 i32 i32) (result i32)
    (local i32 i32 i32 i32 i32 i32)
    local.get 0
    i32.const 255
    i32.and
    local.set 4
    local.get 1
    i32.extend16_s
    local.set 5
    local.get 2
    i32.const 0
    i32.ne
    local.set 6
    local.get 3
    local.set 8
    local.get 8
    i32.const 1114112
    i32.ge_u
    local.get 8
    i32.const 55296
    i32.sub
    i32.const 2048
    i32.lt_u
    i32.or
    if ;; label = @1
      unreachable
    end
    local.get 8
    local.set 7
    local.get 4
    local.get 5
    local.get 6
    local.get 7
    call 0
    local.set 8
    local.get 8
    i32.extend8_s
    local.set 9
    local.get 9
