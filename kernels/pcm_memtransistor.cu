// pcm_memtransistor.cu -- volatile gate modulation of a phase-change memtransistive synapse
// (Sarwat et al. 2022), entry kernels of pcmphys.memtransistor on the host and cupy backends.
// Mirrors: pcmphys.physics.memtransistor.state_weight, pcmphys.physics.memtransistor.device_factors,
//          pcmphys.physics.memtransistor.pulse_factors, pcmphys.physics.memtransistor.trace_at,
//          pcmphys.physics.memtransistor.gate_pulse (pcm_mt_gate),
//          pcmphys.physics.memtransistor.channel_conductance (pcm_mt_read).
// Common arguments: params (by value), seed, device_offset (global index of cell 0), n.
// All parameter values are [E] (not verified against the paper's figures).
#include "pcm_common.cuh"
#include "philox.cuh"

// Layout twin: pcmphys.parameters.memtransistor.memtransistor_dtype (float64, declaration order).
struct pcm_mt_params {
    double gate_coupling_amorphous;              // kappa_a [1/V]
    double crystalline_modulation_ratio;         // r_c [1]
    double modulation_thickness;                 // u_mod [m]
    double gate_reference_voltage;               // V_G0 [V]
    double facilitation_amplitude;               // A [1]
    double facilitation_reference_voltage;       // V_ref [V]
    double facilitation_time;                    // tau_F [s]
    double facilitation_time_device_sigma;       // [1]
    double facilitation_time_cycle_sigma;        // [1]
    double facilitation_amplitude_device_sigma;  // [1]
    double facilitation_amplitude_cycle_sigma;   // [1]
};
static_assert(sizeof(pcm_mt_params) == 88, "pcm_mt_params layout changed");

// Mean-one lognormal factor exp(s z - s^2/2) (twin of pcmphys.physics.variability.lognormal_factor).
PCM_FN double pcm_mt_lognormal(double z, double s) { return exp(s * z - 0.5 * s * s); }

// s(u_a) = r_c + (1 - r_c)(1 - exp(-u_a / u_mod)) [1]. Twin of state_weight.
PCM_FN double pcm_mt_state_weight(double u, const pcm_mt_params& p) {
    double uu = u > 0.0 ? u : 0.0;
    double rc = p.crystalline_modulation_ratio;
    return rc + (1.0 - rc) * (-pcm_expm1(-uu / p.modulation_thickness));
}

// Cell factors (tau, A): STREAM_MEMTRANSISTOR, event 0, block 0. Twin of device_factors.
PCM_FN void pcm_mt_device_factors(pcm_u64 seed, pcm_u64 dev, const pcm_mt_params& p,
                                  double* a_tau, double* b_amp) {
    double z0, z1;
    pcm_normal2(pcm_rng_draw(seed, dev, 0u, PCM_STREAM_MEMTRANSISTOR, 0u), &z0, &z1);
    *a_tau = pcm_mt_lognormal(z0, p.facilitation_time_device_sigma);
    *b_amp = pcm_mt_lognormal(z1, p.facilitation_amplitude_device_sigma);
}

// Pulse factors (tau, A) of gate pulse `event`: STREAM_GATE, block 0. Twin of pulse_factors.
PCM_FN void pcm_mt_pulse_factors(pcm_u64 seed, pcm_u64 dev, pcm_u32 event,
                                 const pcm_mt_params& p, double* a_tau, double* b_amp) {
    double z0, z1;
    pcm_normal2(pcm_rng_draw(seed, dev, event, PCM_STREAM_GATE, 0u), &z0, &z1);
    *a_tau = pcm_mt_lognormal(z0, p.facilitation_time_cycle_sigma);
    *b_amp = pcm_mt_lognormal(z1, p.facilitation_amplitude_cycle_sigma);
}

// F at `time` from (F_k, t_k, k). Twin of trace_at.
PCM_FN double pcm_mt_trace_at(double trace, double last_time, pcm_u32 last_event, double time,
                              pcm_u64 seed, pcm_u64 dev, const pcm_mt_params& p) {
    double a_dev, b_dev, a_cyc, b_cyc;
    pcm_mt_device_factors(seed, dev, p, &a_dev, &b_dev);
    pcm_mt_pulse_factors(seed, dev, last_event, p, &a_cyc, &b_cyc);
    double tau = p.facilitation_time * a_dev * a_cyc;
    return trace * exp(-(time - last_time) / tau);
}

// One gate pulse of amplitude gate_voltage * (scale[i] or 1) on the cells with where[i] != 0
// (all when where is NULL): F <- F exp(-dt/tau) + A s(u_a) b (V - V_G0)/V_ref. Twin of gate_pulse.
extern "C" __global__ void pcm_mt_gate(pcm_mt_params p, pcm_u64 seed, pcm_i64 device_offset,
                                       pcm_i64 n, pcm_u32 event, double time,
                                       double gate_voltage, const double* __restrict__ scale,
                                       const pcm_u8* __restrict__ where,
                                       const float* __restrict__ u_a,
                                       double* __restrict__ trace,
                                       double* __restrict__ last_time,
                                       pcm_u32* __restrict__ last_event) {
    PCM_FOR_EACH(i, n) {
        if (where != 0 && where[i] == 0) continue;
        pcm_u64 dev = (pcm_u64)(device_offset + i);
        double v = (scale != 0) ? gate_voltage * scale[i] : gate_voltage;
        double f = pcm_mt_trace_at(trace[i], last_time[i], last_event[i], time, seed, dev, p);
        double a_dev, b_dev, a_cyc, b_cyc;
        pcm_mt_device_factors(seed, dev, p, &a_dev, &b_dev);
        pcm_mt_pulse_factors(seed, dev, event, p, &a_cyc, &b_cyc);
        double drive = (v - p.gate_reference_voltage) / p.facilitation_reference_voltage;
        double inc = p.facilitation_amplitude * pcm_mt_state_weight((double)u_a[i], p)
                     * (b_dev * b_cyc) * drive;
        trace[i] = f + inc;
        last_time[i] = time;
        last_event[i] = event;
    }
}

// Channel conductance G_NV max(1 + kappa(u_a)(V_G - V_G0) + F(time), 0) [S] and, when
// trace_out is not NULL, F(time). Twin of trace_at + channel_conductance.
extern "C" __global__ void pcm_mt_read(pcm_mt_params p, pcm_u64 seed, pcm_i64 device_offset,
                                       pcm_i64 n, double time, double gate_bias,
                                       const double* __restrict__ g_nv,
                                       const float* __restrict__ u_a,
                                       const double* __restrict__ trace,
                                       const double* __restrict__ last_time,
                                       const pcm_u32* __restrict__ last_event,
                                       double* __restrict__ out,
                                       double* __restrict__ trace_out) {
    PCM_FOR_EACH(i, n) {
        pcm_u64 dev = (pcm_u64)(device_offset + i);
        double f = pcm_mt_trace_at(trace[i], last_time[i], last_event[i], time, seed, dev, p);
        double kappa = p.gate_coupling_amorphous * pcm_mt_state_weight((double)u_a[i], p);
        double factor = 1.0 + kappa * (gate_bias - p.gate_reference_voltage) + f;
        out[i] = g_nv[i] * (factor > 0.0 ? factor : 0.0);
        if (trace_out != 0) trace_out[i] = f;
    }
}
