using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Kfac.Tensors;

namespace Kfac.Data;

/// <summary>Turns a pair of MNIST-style IDX files (ubyte images [N, H, W], ubyte labels [N]) into
/// <see cref="LabeledData"/>, checking that they belong together.</summary>
public static class IdxImageSet
{
    /// <summary>Images and labels as LabeledData: inputs float32 [N, H*W] scaled to [0, 1].</summary>
    public static LabeledData ToLabeledData(IdxFile images, IdxFile labels, int classCount, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        CheckImages(images, height, width);
        CheckLabels(labels);
        if (images.Count != labels.Count)
            throw new InvalidDataException($"'{images.Source}' has {images.Count} images but '{labels.Source}' has {labels.Count} labels");
        var labelArray = ToLabels(labels, classCount);
        return new LabeledData(ToTensor(images), labelArray, classCount);
    }

    /// <summary>ubyte images [N, H, W] as a float32 tensor [N, H*W] with pixel/255 in [0, 1]. The tensor is
    /// created outside any <see cref="TensorScope"/>: a data set lives as long as its owner keeps it.</summary>
    public static Tensor ToTensor(IdxFile images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.ElementType != IdxElementType.UInt8 || images.Dimensions.Count < 2)
            throw new InvalidDataException($"'{images.Source}' holds {images.ElementType} {IdxFile.FormatDimensions(images.Dimensions)}; images are ubyte [N, H, W]");
        var pixels = images.GetData<byte>();
        int count = images.Count;
        int perImage = 1;
        for (int i = 1; i < images.Dimensions.Count; i++) perImage *= images.Dimensions[i];
        using (TensorScope.Suspend())
        {
            var tensor = Tensor.Empty(new Shape(count, perImage), DType.Float32);
            var values = tensor.AsSpan<float>();
            TensorPrimitives.ConvertTruncating<byte, float>(pixels, values);
            // Division rather than multiplication by 1/255 so that every pixel is the correctly rounded p/255.
            TensorPrimitives.Divide(values, 255f, values);
            return tensor;
        }
    }

    /// <summary>ubyte labels [N] as int[], each checked to lie in [0, classCount).</summary>
    public static int[] ToLabels(IdxFile labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(labels);
        CheckLabels(labels);
        var raw = labels.GetData<byte>();
        var result = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] >= classCount)
                throw new InvalidDataException($"'{labels.Source}': example {i} has label {raw[i]}, outside the {classCount} classes [0, {classCount - 1}]");
            result[i] = raw[i];
        }
        return result;
    }

    private static void CheckImages(IdxFile images, int height, int width)
    {
        var d = images.Dimensions;
        if (images.ElementType != IdxElementType.UInt8 || d.Count != 3 || d[1] != height || d[2] != width)
            throw new InvalidDataException($"'{images.Source}' holds {images.ElementType} {IdxFile.FormatDimensions(d)}; expected UInt8 Nx{height}x{width} images (is it a labels file?)");
    }

    private static void CheckLabels(IdxFile labels)
    {
        if (labels.ElementType != IdxElementType.UInt8 || labels.Dimensions.Count != 1)
            throw new InvalidDataException($"'{labels.Source}' holds {labels.ElementType} {IdxFile.FormatDimensions(labels.Dimensions)}; expected UInt8 labels with one dimension (is it an images file?)");
    }
}
