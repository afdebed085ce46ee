// OkHttp 4's Kotlin names for Debian's OkHttp 3.13 (libokhttp-java): the
// extension functions and properties README.md's snippet uses. Test harness
// only; the snippet itself is written for OkHttp 4/5, and the test drops
// its imports of okhttp3.MediaType.Companion.* and RequestBody.Companion.*
// (these are in the same default package).
import okhttp3.MediaType
import okhttp3.RequestBody
import okhttp3.Response
import okhttp3.ResponseBody

fun String.toMediaType(): MediaType = MediaType.get(this)
fun String.toRequestBody(contentType: MediaType?): RequestBody = RequestBody.create(contentType, this)
val Response.code: Int get() = code()
val Response.body: ResponseBody? get() = body()
