using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Tensors;
using GeneratorDemo;

// TinyMoEClassifier is generated from tiny_moe.dsk when the project builds.
using var model = TinyMoEClassifier.Create(Device.Cpu, seed: 42);
Console.WriteLine($"TinyMoEClassifier: {TinyMoEClassifier.ParameterCount:N0} parameters in {TinyMoEClassifier.ParameterNames.Count} tensors");

// Random input: batch 2, 5 tokens, 16 features.
var random = new Random(1);
var data = new float[2 * 5 * 16];
for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
using var x = Tensor.FromArray(data, 2, 5, 16);

using var y = model.Forward(x);
Console.WriteLine($"Forward(x: {x.TypeText()}) -> {y.TypeText()}");
Console.WriteLine($"first scores: {string.Join(", ", y.ToArray<float>().Take(3).Select(v => v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)))}");
