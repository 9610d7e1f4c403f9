
  (func $"adapt meld:case/api#f" (;3;) (type 1) (param i32) (result i32)
    (local i32 i32 i32 i32)
    local.get 0
    i32.const 3
    i32.and
    if ;; label = @1
      unreachable
    end
    i32.const 68
    local.set 1
    local.get 0
    i64.extend_i32_u
    local.get 1
    i64.extend_i32_u
    i64.add
    memory.size 1
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    if ;; label = @1
      unreachable
    end
    i32.const 68
    local.set 1
    i32.const 0
    global.set 0
    i32.const 0
    i32.const 0
    i32.const 4
    local.get 1
    call 0
    local.set 2
    i32.const 1
    global.set 0
    local.get 2
    i32.const 3
    i32.and
    if ;; label = @1
      unreachable
    end
    local.get 2
    i64.extend_i32_u
    local.get 1
    i64.extend_i32_u
    i64.add
    memory.size
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    if ;; label = @1
      unreachable
    end
    local.get 2
    local.get 0
    i32.const 68
    memory.copy 0 1
    local.get 2
    call 1
    local.set 3
    local.get 3
    local.set 4
    local.get 4
