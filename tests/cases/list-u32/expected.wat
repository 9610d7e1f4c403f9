
  (func $"adapt meld:case/api#f" (;3;) (type 1) (param i32 i32) (result i32)
    (local i32 i32 i32 i32)
    local.get 0
    local.get 1
    local.set 4
    local.get 4
    call $"copy list<u32> mem1->mem0"
    local.get 4
    local.set 3
    local.set 2
    local.get 2
    local.get 3
    call 1
    local.set 4
    local.get 4
    local.set 5
    local.get 5

  (func $"copy list<u32> mem1->mem0" (;4;) (type 1) (param i32 i32) (result i32)
    (local i32 i32 i32 i32 i64 i64 i64 i64 i32)
    local.get 0
    i32.const 3
    i32.and
    if ;; label = @1
      unreachable
    end
    local.get 0
    i64.extend_i32_u
    local.get 1
    i64.extend_i32_u
    i64.const 4
    i64.mul
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
    i32.const 4
    i32.mul
    local.set 2
    i32.const 0
    global.set 0
    i32.const 0
    i32.const 0
    i32.const 4
    local.get 2
    call 0
    local.set 3
    i32.const 1
    global.set 0
    local.get 3
    i32.const 3
    i32.and
    if ;; label = @1
      unreachable
    end
    local.get 3
    i64.extend_i32_u
    local.get 2
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
    block ;; label = @1
      block ;; label = @2
        local.get 2
        i32.const 2048
        i32.lt_u
        br_if 0 (;@2;)
        local.get 3
        local.get 0
        i32.sub
        i32.const 4095
        i32.and
        i32.const 1
        i32.sub
        i32.const 31
        i32.ge_u
        br_if 0 (;@2;)
        local.get 0
        local.get 2
        i32.add
        i32.const 32
        i32.sub
        local.set 4
        local.get 4
        i64.load 1
        local.set 6
        local.get 4
        i64.load 1 offset=8
        local.set 7
        local.get 4
        i64.load 1 offset=16
        local.set 8
        local.get 4
        i64.load 1 offset=24
        local.set 9
        local.get 4
        local.set 10
        local.get 0
        local.set 4
        local.get 3
        local.set 5
        loop ;; label = @3
          local.get 5
          local.get 4
          i64.load 1
          i64.store
          local.get 5
          local.get 4
          i64.load 1 offset=8
          i64.store offset=8
          local.get 5
          local.get 4
          i64.load 1 offset=16
          i64.store offset=16
          local.get 5
          local.get 4
          i64.load 1 offset=24
          i64.store offset=24
          local.get 4
          i32.const 32
          i32.add
          local.set 4
          local.get 5
          i32.const 32
          i32.add
          local.set 5
          local.get 4
          local.get 10
          i32.lt_u
          br_if 0 (;@3;)
        end
        local.get 3
        local.get 2
        i32.add
        i32.const 32
        i32.sub
        local.set 5
        local.get 5
        local.get 6
        i64.store
        local.get 5
        local.get 7
        i64.store offset=8
        local.get 5
        local.get 8
        i64.store offset=16
        local.get 5
        local.get 9
        i64.store offset=24
        br 1 (;@1;)
      end
      local.get 3
      local.get 0
      local.get 2
      memory.copy 0 1
    end
    local.get 3
