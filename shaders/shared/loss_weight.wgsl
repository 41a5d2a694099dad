// loss_weight: the weight w_i of element i in an element-by-element loss — call.scale (1 for sum,
// 1 / counted elements for mean) times the mask: none (mask_mode 0), per element mask[i] (1) or per
// row mask[i / F] (2). Included by mse and bce_with_logits. Needs from the kernel: Params P with F,
// the storage arrays mask and call: Call (the struct is declared here).

struct Call { scale: f32, mask_mode: u32 }  // written before each submission

fn loss_weight(i: u32) -> f32 {
  var w = call.scale;
  if (call.mask_mode == 1u) { w *= mask[i]; } else if (call.mask_mode == 2u) { w *= mask[i / P.F]; }
  return w;
}
