
  (func $"adapt meld:case/api#f" (;3;) (type 2) (param i32 i32)
    (local i32 i32 i32)
    local.get 0
    local.set 2
    local.get 2
    call 1
    local.set 3
    local.get 3
    i32.const 7
    i32.and
    if ;; label = @1
      unreachable
    end
    i32.const 16
    local.set 4
    local.get 3
    i64.extend_i32_u
    local.get 4
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
    local.get 1
    i32.const 7
    i32.and
    if ;; label = @1
      unreachable
    end
    i32.const 16
    local.set 4
    local.get 1
    i64.extend_i32_u
    local.get 4
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
    local.get 1
    local.get 3
    i32.const 16
    memory.copy 1 0
