; attn: kernel bad, entry attn_bad for gfx942
	.globl	attn_bad
attn_bad:
	v_mfma_f32_32x32x8f16 a[0:15], v[0:1], v[2:3], a[0:15]
	scratch_store_dword off, v0, s0
	s_endpgm
.Lfunc_end0:
	.amdhsa_next_free_vgpr 300
amdhsa.kernels:
  - .group_segment_fixed_size: 70000
    .max_flat_workgroup_size: 256
    .name:           attn_bad
    .private_segment_fixed_size: 16
    .vgpr_spill_count: 4
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
