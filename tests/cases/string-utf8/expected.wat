
  (func $"adapt meld:case/api#f" (;3;) (type 1) (param i32 i32) (result i32)
    (local i32 i32 i32 i32)
    local.get 0
    local.get 1
    call $"copy string utf8 mem1->mem0"
    local.set 3
    local.set 2
    local.get 2
    local.get 3
    call 1
    local.set 4
    local.get 4
    local.set 5
    local.get 5

  (func $"copy string utf8 mem1->mem0" (;4;) (type 2) (param i32 i32) (result i32 i32)
    (local i32 i32 i32 i32 i32 i32 i32 i32 i64 i64 i64 i64)
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
    local.get 1
    i32.const 2147483647
    i32.gt_u
    if ;; label = @1
      unreachable
    end
    local.get 1
    local.set 4
    i32.const 0
    global.set 0
    i32.const 0
    i32.const 0
    i32.const 1
    local.get 4
    call 0
    local.set 5
    i32.const 1
    global.set 0
    local.get 5
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
    local.get 0
    local.set 6
    local.get 0
    local.get 1
    i32.add
    local.set 7
    block ;; label = @1
      loop ;; label = @2
        local.get 6
        i32.const 8
        i32.add
        local.get 7
        i32.le_u
        if ;; label = @3
          local.get 6
          i64.load 1
          i64.const -9187201950435737472
          i64.and
          local.set 10
          local.get 10
          i64.eqz
          if ;; label = @4
            local.get 6
            i32.const 8
            i32.add
            local.set 6
            block ;; label = @5
              loop ;; label = @6
                local.get 6
                i32.const 32
                i32.add
                local.get 7
                i32.gt_u
                br_if 1 (;@5;)
                local.get 6
                i64.load 1
                local.get 6
                i64.load 1 offset=8
                i64.or
                local.get 6
                i64.load 1 offset=16
                i64.or
                local.get 6
                i64.load 1 offset=24
                i64.or
                i64.const -9187201950435737472
                i64.and
                i64.const 0
                i64.ne
                br_if 1 (;@5;)
                local.get 6
                i32.const 32
                i32.add
                local.set 6
                br 0 (;@6;)
              end
            end
            br 2 (;@2;)
          end
          local.get 6
          local.get 10
          i64.ctz
          i32.wrap_i64
          i32.const 3
          i32.shr_u
          i32.add
          local.set 6
        else
          local.get 6
          local.get 7
          i32.ge_u
          br_if 2 (;@1;)
          local.get 6
          i32.load8_u 1
          i32.const 128
          i32.lt_u
          if ;; label = @4
            local.get 6
            i32.const 1
            i32.add
            local.set 6
            br 2 (;@2;)
          end
        end
        local.get 6
        i32.load8_u 1
        local.set 8
        loop ;; label = @3
          local.get 8
          i32.const 224
          i32.lt_u
          if ;; label = @4
            local.get 8
            i32.const 194
            i32.lt_u
            if ;; label = @5
              unreachable
            end
            local.get 6
            i32.const 2
            i32.add
            local.get 7
            i32.gt_u
            if ;; label = @5
              unreachable
            end
            local.get 6
            i32.load8_u 1 offset=1
            local.set 9
            local.get 9
            i32.const 192
            i32.and
            i32.const 128
            i32.ne
            if ;; label = @5
              unreachable
            end
            local.get 6
            i32.const 2
            i32.add
            local.set 6
          else
            local.get 8
            i32.const 240
            i32.lt_u
            if ;; label = @5
              local.get 6
              i32.const 3
              i32.add
              local.get 7
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 6
              i32.load16_u 1 offset=1
              i32.const 49344
              i32.and
              i32.const 32896
              i32.ne
              local.get 6
              i32.load8_u 1 offset=1
              local.set 9
              local.get 8
              i32.const 224
              i32.eq
              local.get 9
              i32.const 160
              i32.lt_u
              i32.and
              i32.or
              local.get 8
              i32.const 237
              i32.eq
              local.get 9
              i32.const 160
              i32.ge_u
              i32.and
              i32.or
              if ;; label = @6
                unreachable
              end
              local.get 6
              i32.const 3
              i32.add
              local.set 6
            else
              local.get 8
              i32.const 244
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 6
              i32.const 4
              i32.add
              local.get 7
              i32.gt_u
              if ;; label = @6
                unreachable
              end
              local.get 6
              i32.load 1
              i32.const -1061109760
              i32.and
              i32.const -2139062272
              i32.ne
              local.get 6
              i32.load8_u 1 offset=1
              local.set 9
              local.get 8
              i32.const 240
              i32.eq
              local.get 9
              i32.const 144
              i32.lt_u
              i32.and
              i32.or
              local.get 8
              i32.const 244
              i32.eq
              local.get 9
              i32.const 144
              i32.ge_u
              i32.and
              i32.or
              if ;; label = @6
                unreachable
              end
              local.get 6
              i32.const 4
              i32.add
              local.set 6
            end
          end
          local.get 6
          local.get 7
          i32.lt_u
          if ;; label = @4
            local.get 6
            i32.load8_u 1
            local.tee 8
            i32.const 128
            i32.ge_u
            br_if 1 (;@3;)
            local.get 6
            i32.const 1
            i32.add
            local.get 7
            i32.lt_u
            if ;; label = @5
              local.get 6
              i32.load8_u 1 offset=1
              local.tee 8
              i32.const 128
              i32.ge_u
              if ;; label = @6
                local.get 6
                i32.const 1
                i32.add
                local.set 6
                br 3 (;@3;)
              end
            end
          end
        end
        br 0 (;@2;)
      end
    end
    block ;; label = @1
      block ;; label = @2
        local.get 4
        i32.const 2048
        i32.lt_u
        br_if 0 (;@2;)
        local.get 5
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
        local.get 4
        i32.add
        i32.const 32
        i32.sub
        local.set 7
        local.get 7
        i64.load 1
        local.set 10
        local.get 7
        i64.load 1 offset=8
        local.set 11
        local.get 7
        i64.load 1 offset=16
        local.set 12
        local.get 7
        i64.load 1 offset=24
        local.set 13
        local.get 7
        local.set 9
        local.get 0
        local.set 7
        local.get 5
        local.set 6
        loop ;; label = @3
          local.get 6
          local.get 7
          i64.load 1
          i64.store
          local.get 6
          local.get 7
          i64.load 1 offset=8
          i64.store offset=8
          local.get 6
          local.get 7
          i64.load 1 offset=16
          i64.store offset=16
          local.get 6
          local.get 7
          i64.load 1 offset=24
          i64.store offset=24
          local.get 7
          i32.const 32
          i32.add
          local.set 7
          local.get 6
          i32.const 32
          i32.add
          local.set 6
          local.get 7
          local.get 9
          i32.lt_u
          br_if 0 (;@3;)
        end
        local.get 5
        local.get 4
        i32.add
        i32.const 32
        i32.sub
        local.set 6
        local.get 6
        local.get 10
        i64.store
        local.get 6
        local.get 11
        i64.store offset=8
        local.get 6
        local.get 12
        i64.store offset=16
        local.get 6
        local.get 13
        i64.store offset=24
        br 1 (;@1;)
      end
      local.get 5
      local.get 0
      local.get 4
      memory.copy 0 1
    end
    local.get 5
    local.set 2
    local.get 1
    local.set 3
    local.get 2
    local.get 3
